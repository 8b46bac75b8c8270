"""Builds `core/assets/uji_digits.npz`, the compact copy of the UJI pen digits the project trains on.

Run `python -m bench.uji_asset`: it reads `uji/ujipenchars2_digits_strokes.json` from $DIGIT_LAB_DEV_DATA
(default `../shared/data`) and rewrites the asset; the same input gives the same file. UJI Pen Characters v2
is CC BY 4.0 (attribution in LICENSE and `core/uji.py`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bench.dev_data import UJI_FILE, dev_data_file
from core.uji import UJI_ASSET, pack_digits, parse_uji_json


def build_asset(source: Path, target: Path = UJI_ASSET) -> int:
    """Writes the packed digits of `source` to `target`; returns the number of digits.

    Raises:
        OSError: a file cannot be read or written.
        ValueError: the JSON is not the expected digits extraction.
    """
    digits = parse_uji_json(json.loads(source.read_text(encoding="utf-8")))
    with target.open("wb") as file:  # a file object, so numpy adds no ".npz" of its own
        np.savez_compressed(file, **pack_digits(digits))
    return len(digits)


def main() -> int:
    try:
        count = build_asset(dev_data_file(UJI_FILE))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{UJI_ASSET.name}: {count} digits, {UJI_ASSET.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
