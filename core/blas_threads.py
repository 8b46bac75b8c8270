"""Small matrix products on one BLAS thread, where NumPy's BLAS lets us say so (the OpenBLAS of NumPy's wheels).

A drawing's forward pass multiplies matrices of a few hundred rows. OpenBLAS splits each product over
every core, and its threads then spin waiting for more, taking the CPU that the server and the browser
need for the same answer. Measured on the 2-core development machine while it was busy (issue 17): one
product of a canvas answer (784x288 by 288x64) took 8 ms at the median and 58 ms at p90 on two threads,
0.3 ms and 7 ms on one; a whole forward pass 48 ms against 2 ms.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

logger = logging.getLogger(__name__)

_OPENBLAS_FILES = "libscipy_openblas*"
"""NumPy's wheels bundle OpenBLAS under this name: in `numpy.libs/` beside the package (Linux, Windows)
or in `numpy/.dylibs/` (macOS)."""

_switching = threading.Lock()  # one forward pass at a time sets and restores the count


@lru_cache(maxsize=1)
def _thread_count_setter() -> Callable[[int], int] | None:
    """OpenBLAS's `openblas_set_num_threads_local` (sets the count, returns the one before), or None
    when NumPy uses another BLAS or an OpenBLAS without it (before 0.3.27)."""
    package = Path(np.__file__).parent
    for library in sorted([*package.parent.joinpath("numpy.libs").glob(_OPENBLAS_FILES), *package.joinpath(".dylibs").glob(_OPENBLAS_FILES)]):
        try:
            return ctypes.CDLL(str(library)).openblas_set_num_threads_local
        except (OSError, AttributeError) as error:
            logger.debug("No BLAS thread count through %s: %s", library, error)
    logger.info("NumPy's BLAS thread count cannot be set here: small products run on its default threads")
    return None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """NumPy's matrix products in the block run on one thread (when the BLAS allows it), then as before."""
    set_count = _thread_count_setter()
    if set_count is None:
        yield
        return
    with _switching:
        before = set_count(1)
        try:
            yield
        finally:
            set_count(before)
