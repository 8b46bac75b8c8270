"""What a test may need that a fresh clone lacks; skipped on a developer's machine, a failure under CI=true.

A clone with nothing beside it runs every test except those that need full MNIST, skipped for one reason
(and, without Chromium, the browser tests: see tests/browser/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import MNIST_ENV_VAR

FULL_MNIST_REASON = (
    f"needs full MNIST: set ${MNIST_ENV_VAR} to its folder (../shared/data/mnist on development and CI machines)"
)


def require_full_mnist(path_value: str | None, ci_value: str | None) -> Path:
    """The folder named by `path_value` ($DIGIT_LAB_MNIST's value).

    Without one, skips the test; fails it instead under CI (`ci_value`, $CI's value, is "true").
    """
    if path_value:
        return Path(path_value)
    if ci_value == "true":
        pytest.fail(FULL_MNIST_REASON)
    pytest.skip(FULL_MNIST_REASON)
