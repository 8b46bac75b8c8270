"""Kept digits to files and back: a zip of PNGs with a CSV (exported and imported), and an .npz in MNIST's layout.

An import is checked row by row before anything is written; the good rows then go in together, in one
transaction, and every row left out is named with its reason.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from core.kept_digits import KeptDigit, KeptDigitStore, NewKeptDigit, png_bytes
from core.mnist_format import IMAGE_SIDE

logger = logging.getLogger(__name__)

CSV_NAME = "kept_digits.csv"
CSV_FIELDS = ("id", "label", "answer", "confidence", "run_id", "writer", "kept_at", "input_png", "original_png")
INPUT_FOLDER = "input"  # the 28x28 model inputs
ORIGINAL_FOLDER = "original"  # the drawings and crops
MAX_IMPORT_BYTES = 300_000_000
"""Largest total size, unpacked, of a zip to import: its members' sizes are read before any is unpacked."""
MAX_ORIGINAL_PIXELS = 4096 * 4096
MAX_SKIPPED_SHOWN = 20


class KeptDigitsArchiveError(ValueError):
    """A file to import cannot be used; the message says why and what was skipped."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did: how many digits went in, and each row left out with its reason."""

    imported: int
    skipped: tuple[str, ...]  # "row 4: input/000004.png is missing"


def _file_name(digit: KeptDigit, folder: str) -> str:
    return f"{folder}/{digit.digit_id:06d}.png"


def export_zip(store: KeptDigitStore) -> bytes:
    """The whole collection as a zip: `input/<id>.png` (28x28), `original/<id>.png`, and `kept_digits.csv`.

    Raises:
        KeptDigitStoreError: the store is unusable.
    """
    digits = store.list()
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for digit in digits:
            archive.writestr(_file_name(digit, INPUT_FOLDER), png_bytes(digit.model_input))
            archive.writestr(_file_name(digit, ORIGINAL_FOLDER), store.original_png(digit.digit_id))
            writer.writerow({
                "id": digit.digit_id, "label": digit.label, "answer": digit.answer,
                "confidence": f"{digit.confidence:.6f}", "run_id": digit.run_id, "writer": digit.writer,
                "kept_at": digit.kept_at, "input_png": _file_name(digit, INPUT_FOLDER),
                "original_png": _file_name(digit, ORIGINAL_FOLDER),
            })
        archive.writestr(CSV_NAME, table.getvalue())
    return buffer.getvalue()


def export_npz(store: KeptDigitStore) -> bytes:
    """The collection in MNIST's layout: `x` (n, 28, 28) uint8, 0 background and 255 ink, `y` (n,) uint8.

    Raises:
        KeptDigitStoreError: the store is unusable.
    """
    digits = store.list()
    images = np.zeros((len(digits), IMAGE_SIDE, IMAGE_SIDE), np.uint8)  # (n, 28, 28)
    for index, digit in enumerate(digits):
        images[index] = digit.model_input
    labels = np.array([digit.label for digit in digits], np.uint8)  # (n,)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x=images, y=labels)
    return buffer.getvalue()


def _picture(archive: zipfile.ZipFile, folder: PurePosixPath, name: str, sides: tuple[int, int] | None) -> Image.Image:
    """A PNG member named by the CSV (relative to the CSV's folder), decoded; `sides` (width, height) if it must have them.

    Raises:
        ValueError: missing, unreadable, of the wrong size or too large; the message names the member.
    """
    path = str(folder / name) if str(folder) != "." else name
    try:
        data = archive.read(path)
    except KeyError:
        raise ValueError(f"{path} is missing") from None
    try:
        picture = Image.open(io.BytesIO(data))
        width, height = picture.size
        if sides is not None and (width, height) != sides:
            raise ValueError(f"{path} is {width}x{height}, not {sides[0]}x{sides[1]}")
        if width * height > MAX_ORIGINAL_PIXELS:
            raise ValueError(f"{path} is {width}x{height}, too large")
        picture.load()
    except (OSError, Image.DecompressionBombError) as error:  # Pillow's "cannot identify image file", truncation
        raise ValueError(f"{path} is unreadable ({error})") from error
    return picture


def _digit_from_row(archive: zipfile.ZipFile, folder: PurePosixPath, row: dict[str, str]) -> NewKeptDigit:
    """One CSV row and its two PNGs as a digit to keep.

    Raises:
        ValueError: a field or a picture is wrong; the message says which.
    """
    model_input = np.asarray(_picture(archive, folder, row["input_png"], (IMAGE_SIDE, IMAGE_SIDE)).convert("L"), np.uint8)
    original = _picture(archive, folder, row["original_png"], None)
    buffer = io.BytesIO()
    original.save(buffer, format="PNG")  # what was read, so any format that decodes is stored as PNG
    return NewKeptDigit(
        label=int(row["label"]),
        model_input=model_input,  # (28, 28) uint8
        original_png=buffer.getvalue(),
        run_id=row["run_id"],
        answer=row["answer"],
        confidence=float(row["confidence"]),
        writer=row["writer"],
        kept_at=row["kept_at"],
    )


def read_zip(data: bytes, name: str = "the zip") -> tuple[list[NewKeptDigit], list[str]]:
    """The digits of an exported zip, and a line for each row that cannot be kept.

    Raises:
        KeptDigitsArchiveError: not a zip, too large unpacked, no `kept_digits.csv`, or a CSV without
            the expected columns.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise KeptDigitsArchiveError(f"{name} is not a zip file. Import a zip exported from My digits.") from None
    with archive:
        unpacked = sum(member.file_size for member in archive.infolist())
        if unpacked > MAX_IMPORT_BYTES:
            raise KeptDigitsArchiveError(f"{name} unpacks to {unpacked:,} bytes, over the limit of {MAX_IMPORT_BYTES:,}.")
        tables = [member for member in archive.namelist() if PurePosixPath(member).name == CSV_NAME]
        if len(tables) != 1:
            found = "no" if not tables else f"{len(tables)} copies of"
            raise KeptDigitsArchiveError(f"{name} holds {found} {CSV_NAME}: import a zip exported from My digits.")
        folder = PurePosixPath(tables[0]).parent
        try:
            rows = list(csv.DictReader(io.StringIO(archive.read(tables[0]).decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error, zipfile.BadZipFile, OSError) as error:
            raise KeptDigitsArchiveError(f"{CSV_NAME} in {name} is unreadable ({error}).") from error
        missing = [field for field in CSV_FIELDS if field != "id" and (not rows or field not in rows[0])]
        if rows and missing:
            raise KeptDigitsArchiveError(f"{CSV_NAME} in {name} lacks the column(s) {', '.join(missing)}.")
        digits, skipped = [], []
        for number, row in enumerate(rows, start=1):
            try:
                digits.append(_digit_from_row(archive, folder, row))
            except (ValueError, TypeError, zipfile.BadZipFile) as error:  # TypeError: a short row's None field
                skipped.append(f"row {number}: {error}")
    return digits, skipped


def _listing(skipped: list[str]) -> str:
    shown = "; ".join(skipped[:MAX_SKIPPED_SHOWN])
    more = len(skipped) - MAX_SKIPPED_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def import_zip(store: KeptDigitStore, data: bytes, name: str = "the zip") -> ImportReport:
    """Adds the digits of an exported zip to the store, all in one transaction; bad rows are left out.

    Raises:
        KeptDigitsArchiveError: the zip is unusable, or holds no row that can be kept (the rows are listed).
        DemoModeRefusal: a demo server.
        KeptDigitStoreError: the store is unusable; nothing was imported.
    """
    digits, skipped = read_zip(data, name)
    if not digits:
        reason = f"every row is wrong: {_listing(skipped)}" if skipped else f"its {CSV_NAME} lists no digit"
        raise KeptDigitsArchiveError(f"Nothing imported from {name}: {reason}.")
    store.add_many(digits)
    if skipped:
        logger.warning("Imported %d digits from %s, skipped %d rows: %s", len(digits), name, len(skipped), _listing(skipped))
    return ImportReport(imported=len(digits), skipped=tuple(skipped))
