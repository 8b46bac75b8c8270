"""Cached loaders: `light` never imports TensorFlow; `model`, `explainers` and `warmup` are Keras-backed."""
