"""core.blas_threads: one BLAS thread inside the block, the count as before after it, the same products."""

from __future__ import annotations

import numpy as np
import pytest

from core.blas_threads import _thread_count_setter, one_blas_thread


def test_the_block_runs_on_one_thread_and_gives_the_count_back() -> None:
    set_count = _thread_count_setter()
    if set_count is None:
        pytest.skip("this NumPy's BLAS has no thread count to set")
    before = set_count(2)  # the setter returns the count it replaces
    try:
        with one_blas_thread():
            assert set_count(1) == 1
        assert set_count(2) == 2
    finally:
        set_count(before)


def test_products_are_the_same_on_one_thread() -> None:
    rng = np.random.default_rng(0)
    left, right = rng.random((784, 288), dtype=np.float32), rng.random((288, 64), dtype=np.float32)
    with one_blas_thread():
        single = left @ right
    np.testing.assert_allclose(single, left @ right, rtol=1e-5)
