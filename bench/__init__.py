"""Benchmarks that measure trained models on real handwriting, outside MNIST; never used for training."""
