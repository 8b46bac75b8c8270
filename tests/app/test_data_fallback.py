"""A broken $DIGIT_LAB_MNIST: the app names the file and what is wrong with it, and runs on the sample."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from tests.app.conftest import open_page


def _idx(array: np.ndarray) -> bytes:
    header = (0x800 | array.ndim).to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _mnist_folder(folder: Path, labels: np.ndarray | None = None) -> Path:
    """A tiny but well-formed MNIST folder (20 train, 10 test images), gzipped like the real one."""
    folder.mkdir()
    arrays = {
        "train-images-idx3-ubyte": np.zeros((20, 28, 28)),
        "train-labels-idx1-ubyte": labels if labels is not None else np.arange(20) % 10,
        "t10k-images-idx3-ubyte": np.zeros((10, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(10),
    }
    for name, array in arrays.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(_idx(np.asarray(array))))
    return folder


def _missing(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "no-such-folder", "no-such-folder"


def _truncated(tmp_path: Path) -> tuple[Path, str]:
    folder = _mnist_folder(tmp_path / "mnist")
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-50]))
    return folder, "t10k-images-idx3-ubyte.gz"


def _labels_out_of_range(tmp_path: Path) -> tuple[Path, str]:
    return _mnist_folder(tmp_path / "mnist", labels=np.full(20, 12)), "train-labels-idx1-ubyte.gz"


@pytest.mark.parametrize("break_data", [_missing, _truncated, _labels_out_of_range], ids=["missing", "truncated", "labels"])
def test_home_names_the_broken_file_and_falls_back_to_the_sample(app_env, tmp_path, monkeypatch, break_data):
    path, named = break_data(tmp_path)
    monkeypatch.setenv("DIGIT_LAB_MNIST", str(path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))  # no Keras cache either

    def offline() -> None:
        raise OSError("no network")

    monkeypatch.setattr("core.data._download_with_keras", offline)
    app = open_page("Home.py")
    assert not app.exception
    assert any("bundled sample" in warning.value for warning in app.warning)
    reasons = [caption.value for caption in app.main.caption if "DIGIT_LAB_MNIST" in caption.value]
    assert len(reasons) == 1 and named in reasons[0], reasons
    assert next(metric.value for metric in app.metric if metric.label == "Training images") == "5,000"
