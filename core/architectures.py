"""CNN architectures by name, each a Functional Keras model with named layers.

`seed` is the original project's network; the others trade its slowness for speed or accuracy.
Their training recipes live in `core.recipes`, which loads without Keras.
"""

from __future__ import annotations

from typing import Callable

import keras
from keras import layers

from core.mnist_format import IMAGE_SIDE, NUM_CLASSES
from core.recipes import get_recipe

CLASSIFIER_LAYER = "probabilities"
"""The final Dense softmax layer of every architecture: Grad-CAM and the embedding start from it.
It has one output per digit, and an eleventh for "not a digit" when trained for it (`classes=11`)."""


def _inputs() -> keras.KerasTensor:
    return keras.Input(shape=(IMAGE_SIDE, IMAGE_SIDE, 1), name="image")


def build_seed(classes: int = NUM_CLASSES) -> keras.Model:
    """The original project's CNN, layer for layer."""
    inputs = _inputs()
    x = layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)  # (26, 26, 32)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2")(x)  # (24, 24, 64)
    x = layers.MaxPooling2D(2, name="pool")(x)  # (12, 12, 64)
    x = layers.Dropout(0.25, name="dropout1")(x)
    x = layers.Flatten(name="flatten")(x)  # (9216,)
    x = layers.Dense(256, activation="relu", name="dense")(x)
    x = layers.Dropout(0.5, name="dropout2")(x)
    outputs = layers.Dense(classes, activation="softmax", name=CLASSIFIER_LAYER)(x)
    return keras.Model(inputs, outputs, name="seed")


def _conv_block(
    x: keras.KerasTensor, filters: int, kernel_size: int, name: str, strides: int = 1
) -> keras.KerasTensor:
    """Convolution, batch norm, ReLU: batch norm is what lets these nets learn in one epoch."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False, name=name)(x)
    # Momentum 0.9, not 0.99: short runs must leave usable moving statistics for inference.
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_fast(classes: int = NUM_CLASSES) -> keras.Model:
    """A small batch-normalised CNN: a tenth of seed's multiply-adds, higher accuracy sooner.

    The first convolution strides by 2 instead of being followed by a pooling layer: the same
    14x14 output for a quarter of the work at full resolution, the costliest part on a CPU.
    """
    inputs = _inputs()
    x = _conv_block(inputs, 16, 5, "conv1", strides=2)  # (14, 14, 16)
    x = _conv_block(x, 32, 3, "conv2")  # (14, 14, 32)
    x = layers.MaxPooling2D(2, name="pool2")(x)  # (7, 7, 32)
    x = _conv_block(x, 64, 3, "conv3")  # (7, 7, 64)
    x = layers.Flatten(name="flatten")(x)  # (3136,)
    outputs = layers.Dense(classes, activation="softmax", name=CLASSIFIER_LAYER)(x)
    return keras.Model(inputs, outputs, name="fast")


def build_best(classes: int = NUM_CLASSES) -> keras.Model:
    """A wider three-stage CNN with a dense head and dropout, meant to be trained with augmentation."""
    inputs = _inputs()
    x = _conv_block(inputs, 32, 5, "conv1")  # (28, 28, 32)
    x = layers.MaxPooling2D(2, name="pool1")(x)  # (14, 14, 32)
    x = _conv_block(x, 64, 3, "conv2")  # (14, 14, 64)
    x = layers.MaxPooling2D(2, name="pool2")(x)  # (7, 7, 64)
    x = _conv_block(x, 128, 3, "conv3")  # (7, 7, 128)
    x = layers.MaxPooling2D(2, name="pool3")(x)  # (3, 3, 128)
    x = layers.Flatten(name="flatten")(x)  # (1152,)
    x = layers.Dense(256, use_bias=False, name="dense")(x)
    x = layers.BatchNormalization(momentum=0.9, name="dense_bn")(x)
    x = layers.Activation("relu", name="dense_relu")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    outputs = layers.Dense(classes, activation="softmax", name=CLASSIFIER_LAYER)(x)
    return keras.Model(inputs, outputs, name="best")


BUILDERS: dict[str, Callable[[int], keras.Model]] = {"fast": build_fast, "best": build_best, "seed": build_seed}


def build_model(name: str, classes: int = NUM_CLASSES) -> keras.Model:
    """A freshly initialised model of the named architecture, with `classes` outputs.

    Raises:
        ValueError: the name is not one of `core.recipes.RECIPES`.
    """
    get_recipe(name)  # an unknown name gets the message that lists the known ones
    return BUILDERS[name](classes)
