"""Random distortions applied to training batches so a model copes with real handwriting."""

from __future__ import annotations

import keras
from keras import layers


def build_augmenter(seed: int) -> keras.Sequential:
    """Small rotations, shifts and zooms, the variation real writers add to MNIST's.

    Applied to (batch, 28, 28, 1) float32 tensors inside the input pipeline, never at inference.
    """
    return keras.Sequential(
        [
            layers.RandomRotation(0.04, fill_mode="constant", seed=seed),  # about +-14 degrees
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
        ],
        name="augmentation",
    )
