"""How `python -m core predict` reads generated photos, condition by condition: the photo stress benchmark.

Run `python -m bench.photo_stress [--per-condition N] [--seed S] [--megapixels M] [--model PATH] [--json OUT]`. Each
condition of `bench.stress_photos` gets N photos (single digits, numbers and lines taking turns) written
with pendigits strokes ($DIGIT_LAB_DEV_DATA/pendigits: measuring only) and read through the CLI's path
(`bench.photos.read_picture`). Nothing was tuned on these photos, unlike the development photos, and a new
seed makes new ones. Scores per condition: digit level (1 - edit distance / digits, lines left out, as
`bench.photos` counts it), photos read exactly (line separators included), and time per photo.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from bench.dev_data import PENDIGITS_FILE, dev_data_file
from bench.handwriting import parse_pendigits
from bench.photos import (
    add_model_arguments,
    digit_errors,
    read_picture,
    reader_from,
    write_report,
)
from bench.stress_photos import CONDITIONS, StressPhoto, stress_set
from core.images import decode_image
from core.preprocessing import MAX_WORKING_SIDE
from core.reading import LINE_SEPARATOR, Predictor

logger = logging.getLogger(__name__)

TARGET = 0.95
"""Digit-level accuracy each condition should reach (issue 16)."""


@dataclass(frozen=True)
class StressResult:
    """What the pipeline made of one generated photo."""

    condition: str
    layout: str
    label: str
    reading: str  # "" when no digit was found
    seconds: float
    error: str  # "" when read


@dataclass(frozen=True)
class ConditionScore:
    condition: str
    photos: int
    digits: int
    digit_level: float
    exact: float
    p95_seconds: float
    errors: int


def read_stress_photo(
    photo: StressPhoto, predict: Predictor, not_sure_floor: float, megapixels: float | None = None
) -> StressResult:
    """Reads one generated photo as the CLI would, timing it; a found-no-digit error is a result too.

    With `megapixels`, the photo is first enlarged to that size and saved as a JPEG (untimed), and the
    time includes decoding the file, as the CLI and the Predict page do with a phone's photo.
    """
    data = as_phone_jpeg(photo.image, megapixels) if megapixels else None
    start = time.perf_counter()
    reading, error = "", ""
    try:
        image = photo.image if data is None else decode_image(data, working_side=MAX_WORKING_SIDE)
        reading = read_picture(image, predict, not_sure_floor)
    except ValueError as failure:
        error = str(failure)
    return StressResult(photo.condition, photo.layout, photo.label, reading, time.perf_counter() - start, error)


def score(condition: str, results: Sequence[StressResult]) -> ConditionScore:
    """The figures of one condition's results."""
    digits = sum(len(result.label.replace(LINE_SEPARATOR, "")) for result in results)
    wrong = sum(digit_errors(result.reading, result.label) for result in results)
    return ConditionScore(
        condition=condition,
        photos=len(results),
        digits=digits,
        digit_level=1 - wrong / digits if digits else float("nan"),
        exact=float(np.mean([result.reading == result.label for result in results])) if results else float("nan"),
        p95_seconds=float(np.percentile([result.seconds for result in results], 95)) if results else float("nan"),
        errors=sum(bool(result.error) for result in results),
    )


def markdown_table(scores: Sequence[ConditionScore]) -> str:
    lines = ["| condition | photos | digits | digit level | exact | p95 s | errors |", "|---|---:|---:|---:|---:|---:|---:|"]
    for entry in scores:
        mark = "" if entry.digit_level >= TARGET else " ✗"
        lines.append(
            f"| {entry.condition} | {entry.photos} | {entry.digits} | {entry.digit_level:.1%}{mark} "
            f"| {entry.exact:.1%} | {entry.p95_seconds:.3f} | {entry.errors} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.photo_stress", description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    parser.add_argument("--per-condition", type=int, default=60, help="photos per condition (default: 60)")
    parser.add_argument("--seed", type=int, default=0, help="which photos: each seed makes new ones (default: 0)")
    parser.add_argument("--json", type=Path, help="where to write the results (default: bench/results/photo-stress-TIME.json)")
    parser.add_argument("--megapixels", type=float, help="enlarge each photo to this size as a JPEG, decoding timed (e.g. 12)")
    parser.add_argument("--save", type=Path, help="also write every photo as PNG into this folder, to look at")
    args = parser.parse_args(argv)
    model_path, predict, not_sure_floor = reader_from(args)
    photos = stress_set(parse_pendigits(dev_data_file(PENDIGITS_FILE)), args.per_condition, args.seed)
    results = []
    for number, photo in enumerate(photos):
        result = read_stress_photo(photo, predict, not_sure_floor, args.megapixels)
        logger.debug("%s %s: %r for %r %s", result.condition, result.layout, result.reading, result.label, result.error)
        results.append(result)
        if args.save:
            _save(photo, args.save / f"{number:04d}-{photo.condition.replace(' ', '-')}-{photo.label}.png")
    scores = [score(condition, [result for result in results if result.condition == condition]) for condition in CONDITIONS]
    print(markdown_table(scores))

    write_report("bench.photo_stress", argv, args.json, model_path, scores, results)
    return 0 if all(entry.digit_level >= TARGET for entry in scores) else 1


def as_phone_jpeg(image: np.ndarray, megapixels: float) -> bytes:
    """`image` (RGB) enlarged to `megapixels` and saved as a quality-90 JPEG, as a phone would store it."""
    import cv2

    scale = (megapixels * 1e6 / (image.shape[0] * image.shape[1])) ** 0.5
    enlarged = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    return cv2.imencode(".jpg", cv2.cvtColor(enlarged, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def _save(photo: StressPhoto, path: Path) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(photo.image, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    sys.exit(main())
