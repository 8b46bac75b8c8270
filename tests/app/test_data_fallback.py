"""A broken $DIGIT_LAB_MNIST: the app names the file and what is wrong with it, and runs on the sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.app.conftest import open_page
from tests.core.test_data import idx_bytes, make_arrays, write_file, write_folder


def _missing(tmp_path: Path) -> tuple[Path, str]:
    return tmp_path / "no-such-folder", "no-such-folder"


def _truncated(tmp_path: Path) -> tuple[Path, str]:
    arrays = make_arrays()
    folder = write_folder(tmp_path / "mnist", arrays)
    write_file(folder / "t10k-images-idx3-ubyte.gz", idx_bytes(arrays["x_test"])[:-50])
    return folder, "t10k-images-idx3-ubyte.gz"


def _labels_out_of_range(tmp_path: Path) -> tuple[Path, str]:
    arrays = make_arrays()
    arrays["y_train"] = np.full_like(arrays["y_train"], 12)
    return write_folder(tmp_path / "mnist", arrays), "train-labels-idx1-ubyte.gz"


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
