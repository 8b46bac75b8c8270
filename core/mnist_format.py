"""The MNIST image format every layer agrees on: square grayscale digits, one class per digit."""

IMAGE_SIDE = 28
"""Pixels on each side of a digit image: what MNIST stores, preprocessing produces and models take."""

NUM_CLASSES = 10
"""The digits 0 to 9: a model's output width and the labels' range."""
