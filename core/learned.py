"""What a trained network learned: the first convolution's filters and the units that never fire (read
from its weights and the test set with core.numpy_model, so no TensorFlow), and the digits it learned last.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.numpy_model import NumpyModel
from core.progress import EpochMetrics

DEAD_UNITS_BATCH = 500  # digits per forward pass: bounds the unrolled convolution windows to ~100 MB


@dataclass(frozen=True)
class Filters:
    """The first convolution's kernels, ready to draw."""

    layer_name: str
    kernels: np.ndarray  # (filters, kernel_h, kernel_w) float32 in [-1, 1]; 0 is a zero weight


def first_filters(model: NumpyModel) -> Filters:
    """The first convolution's kernels, each divided by its largest absolute weight.

    Each filter is scaled on its own so a weak one is as visible as a strong one; the sign is kept,
    so ink that excites a filter and ink that inhibits it look different.

    Raises:
        ValueError: the model has no convolution, or its first one reads more than one channel.
    """
    convolution = next((layer for layer in model.layers if layer.kind == "Conv2D"), None)
    if convolution is None:
        raise ValueError("The model has no convolution layer.")
    kernel = convolution.weights[0]  # (kernel_h, kernel_w, channels, filters)
    if kernel.shape[2] != 1:
        raise ValueError(f"The first convolution reads {kernel.shape[2]} channels, not one grey image.")
    kernels = kernel[:, :, 0, :].transpose(2, 0, 1)  # (filters, kernel_h, kernel_w)
    largest = np.abs(kernels).max(axis=(1, 2), keepdims=True)  # (filters, 1, 1)
    scaled = np.divide(kernels, largest, out=np.zeros_like(kernels), where=largest > 0)
    return Filters(convolution.config["name"], scaled.astype(np.float32))


@dataclass(frozen=True)
class DeadUnits:
    """How many of one rectified layer's units (channels or neurons) never fire."""

    layer_name: str
    dead: int
    units: int

    @property
    def share(self) -> float:
        return self.dead / self.units


def dead_units(model: NumpyModel, images: np.ndarray) -> list[DeadUnits]:
    """For every layer that ends in a ReLU, the units whose output is never above 0 on any of `images`.

    A convolution's unit is a channel: it is alive if it fires anywhere on any digit. A dead unit
    passes nothing on, so its weights are wasted capacity.

    Args:
        model: a loaded network.
        images: (n, 28, 28) uint8 digits, normally the whole test set.

    Returns:
        One entry per rectified layer, input to output.

    Raises:
        ValueError: no images.
    """
    if len(images) == 0:
        raise ValueError("Dead units need at least one digit.")
    rectified = {layer.config["name"] for layer in model.layers if layer.config.get("activation") == "relu"}
    peaks: dict[str, np.ndarray] = {}  # layer name -> (units,) the highest output seen
    for start in range(0, len(images), DEAD_UNITS_BATCH):
        for name, output in model.layer_outputs(images[start : start + DEAD_UNITS_BATCH]):
            if name in rectified:
                peak = output.reshape(-1, output.shape[-1]).max(axis=0)  # (units,)
                peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak
    return [DeadUnits(name, int(np.sum(peak <= 0)), len(peak)) for name, peak in peaks.items()]


@dataclass(frozen=True)
class PerClassHistory:
    """Each digit's validation accuracy after each epoch of one run."""

    epochs: tuple[int, ...]  # 1-based
    accuracy: np.ndarray  # (epochs, 10) float64; NaN for a digit absent from the validation split

    def learned_last(self, count: int = 3) -> list[int]:
        """The `count` digits with the lowest accuracy averaged over the epochs: the ones learned late."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an absent digit's mean of NaNs
            mean = np.nanmean(self.accuracy, axis=0)  # (10,)
        present = np.flatnonzero(~np.isnan(mean))
        return [int(digit) for digit in present[np.argsort(mean[present], kind="stable")][:count]]


def per_class_history(history: Sequence[EpochMetrics]) -> PerClassHistory | None:
    """The per-digit curves of a run's epochs, or None for a run saved before they were recorded."""
    recorded = [metrics for metrics in history if metrics.val_per_class_accuracy]
    if not recorded:
        return None
    return PerClassHistory(
        epochs=tuple(metrics.epoch for metrics in recorded),
        accuracy=np.array([metrics.val_per_class_accuracy for metrics in recorded], np.float64),  # (epochs, 10)
    )
