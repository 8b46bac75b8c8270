"""Fixtures shared by every test layer: the bundled sample and small, fast training configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.data import MNIST_ENV_VAR
from core.job_runner import TRAINER_NICENESS_VARIABLE
from core.kept_digits import DEFAULT_FILE_NAME, KEPT_DIGITS_ENV_VAR
from tests.prerequisites import require_full_mnist

# Quiet TensorFlow's C++ start-up logging in test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Tests' trainers, and the CLI trainings they run in this very process, keep the test run's priority:
# lowering it would outlast the test and slow the rest of the suite against its own app servers.
os.environ.setdefault(TRAINER_NICENESS_VARIABLE, "0")


@pytest.fixture(scope="session")
def sample_data():
    """The bundled 6,000-image MNIST sample, loaded once."""
    from core.data import load_sample

    return load_sample()


@pytest.fixture(autouse=True)
def kept_digits_path(tmp_path, monkeypatch) -> Path:
    """Every test keeps digits in its own temporary file (created only if used), never in the real one."""
    path = tmp_path / DEFAULT_FILE_NAME
    monkeypatch.setenv(KEPT_DIGITS_ENV_VAR, str(path))
    return path


@pytest.fixture()
def runs_dir(tmp_path, monkeypatch):
    """An empty run store folder, also set as $DIGIT_LAB_RUNS for code that reads it."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("DIGIT_LAB_RUNS", str(folder))
    return folder


@pytest.fixture(scope="session")
def full_mnist() -> Path:
    """The full-MNIST folder named by $DIGIT_LAB_MNIST; without one the test skips (fails under CI=true).

    Session-scoped, so it reads the variable before any function fixture hides it.
    """
    return require_full_mnist(os.environ.get(MNIST_ENV_VAR), os.environ.get("CI"))
