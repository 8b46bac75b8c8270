"""Where the benchmarks find the development data sets (pendigits, Semeion, UJI): one setting, $DIGIT_LAB_DEV_DATA.

The sets are not part of the project (measuring only, never shipped); on development and CI machines they
sit beside the checkout, in `../shared/data`. Full MNIST has its own setting, the app's $DIGIT_LAB_MNIST.
"""

from __future__ import annotations

import os
from pathlib import Path

DEV_DATA_ENV_VAR = "DIGIT_LAB_DEV_DATA"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEV_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"

PENDIGITS_FILE = Path("pendigits", "pendigits-orig.tra")
SEMEION_FILE = Path("semeion", "semeion.data")
UJI_FILE = Path("uji", "ujipenchars2_digits_strokes.json")  # only to build core/assets/uji_digits.npz


def dev_data_dir() -> Path:
    """The folder named by $DIGIT_LAB_DEV_DATA, else `../shared/data` beside the project."""
    value = os.environ.get(DEV_DATA_ENV_VAR, "").strip()
    return Path(value).expanduser() if value else DEFAULT_DEV_DATA_DIR


def dev_data_file(relative: Path) -> Path:
    """The development data file at `relative` (e.g. `PENDIGITS_FILE`), checked to exist.

    Raises:
        FileNotFoundError: the file is missing; the message names it and the setting that locates it.
    """
    path = dev_data_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: the benchmarks read the development data from ${DEV_DATA_ENV_VAR} "
            f"(default: ../shared/data beside the project); point it at the folder holding {relative}."
        )
    return path
