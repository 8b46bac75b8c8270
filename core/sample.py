"""Builds the bundled class-balanced MNIST sample, so the app works before full MNIST is available.

Run once: `DIGIT_LAB_MNIST=../shared/data/mnist python -m core.sample` rewrites core/assets/mnist_sample.npz.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from core.data import (
    MNIST_ENV_VAR,
    SAMPLE_PATH,
    MnistData,
    read_mnist_folder,
    read_mnist_npz,
)
from core.mnist_format import NUM_CLASSES

TRAIN_PER_CLASS = 500
TEST_PER_CLASS = 100
SAMPLE_SEED = 20_240_515  # fixed so a rebuild reproduces the shipped file exactly


def _balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator, split: str) -> np.ndarray:
    """Picks per_class random row indices of every class, returned in their original order."""
    chosen = []
    for digit in range(NUM_CLASSES):
        rows = np.flatnonzero(labels == digit)  # (count of this digit,) int64
        if len(rows) < per_class:
            raise ValueError(f"{split} has only {len(rows)} images of digit {digit}, {per_class} requested")
        chosen.append(rng.choice(rows, size=per_class, replace=False))
    # Keep MNIST's own interleaved order: grouped by class, Keras' validation_split (which takes the
    # last rows unshuffled) would validate on nothing but nines.
    return np.sort(np.concatenate(chosen))  # (NUM_CLASSES * per_class,) int64


def build_sample(
    data: MnistData, train_per_class: int, test_per_class: int, seed: int
) -> dict[str, np.ndarray]:
    """Selects a fixed, class-balanced subset of MNIST.

    Args:
        data: the full data set to draw from.
        train_per_class: training images kept per digit.
        test_per_class: test images kept per digit.
        seed: seeds the random choice, so equal arguments give equal samples.

    Returns:
        Keras mnist.npz layout: x_train (10*train_per_class, 28, 28) uint8, y_train (10*train_per_class,)
        uint8, x_test (10*test_per_class, 28, 28) uint8, y_test (10*test_per_class,) uint8.

    Raises:
        ValueError: a count is not positive, or some digit has fewer images than requested.
    """
    if train_per_class <= 0 or test_per_class <= 0:
        raise ValueError(f"per-class counts must be positive, got {train_per_class} and {test_per_class}")
    rng = np.random.default_rng(seed)
    train_rows = _balanced_indices(data.y_train, train_per_class, rng, "train")
    test_rows = _balanced_indices(data.y_test, test_per_class, rng, "test")
    # Fancy indexing copies, so the sample owns contiguous, writeable arrays ready for np.savez.
    return {
        "x_train": data.x_train[train_rows],  # (10 * train_per_class, 28, 28) uint8
        "y_train": data.y_train[train_rows],  # (10 * train_per_class,) uint8
        "x_test": data.x_test[test_rows],  # (10 * test_per_class, 28, 28) uint8
        "y_test": data.y_test[test_rows],  # (10 * test_per_class,) uint8
    }


def main() -> int:
    """Reads full MNIST from $DIGIT_LAB_MNIST and writes the sample next to core/data.py."""
    env_value = os.environ.get(MNIST_ENV_VAR)
    if not env_value:
        print(f"set ${MNIST_ENV_VAR} to a folder of MNIST IDX files or a mnist.npz", file=sys.stderr)
        return 2
    source = Path(env_value).expanduser()
    data = read_mnist_folder(source) if source.is_dir() else read_mnist_npz(source)
    sample = build_sample(data, TRAIN_PER_CLASS, TEST_PER_CLASS, SAMPLE_SEED)
    SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(SAMPLE_PATH, **sample)
    print(f"wrote {SAMPLE_PATH} ({SAMPLE_PATH.stat().st_size} bytes) from {data.location}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
