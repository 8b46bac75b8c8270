"""How well `python -m core predict` reads real photos of handwriting: the development photos' benchmark.

Run `python -m bench.photos [--model PATH] [--json OUT]`. The photos come from $DIGIT_LAB_DEV_DATA/photos
(see bench/dev_data.py and that folder's README): for measuring only, never for training, never shipped.
Each photo goes through the CLI's own path (decode, segment, NumPy model, `core.reading`), one at a time,
so the time per photo is what a person waits for, model loading aside.

Scores, per source repository and overall:
- single: share of one-digit photos read exactly;
- exact: share of multi-digit photos read exactly, line separators included;
- digit level: 1 - edit distance / digits, summed over multi-digit photos (line separators left out,
  a photo counting at worst all its digits wrong), so a dropped or extra digit costs one, not the rest.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import shlex
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

# TensorFlow's C++ start-up chatter would bury the table; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from bench.dev_data import PROJECT_ROOT, dev_data_file
from core.images import decode_image
from core.preprocessing import MAX_WORKING_SIDE
from core.reading import LINE_SEPARATOR, Predictor, read_image

logger = logging.getLogger(__name__)

MANIFEST_FILE = Path("photos", "manifest.csv")
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
OVERALL = "all"


@dataclass(frozen=True)
class Photo:
    """One row of the manifest."""

    path: Path
    name: str  # the path as the manifest gives it, relative to the photos folder
    label: str  # digits in reading order, `|` between text lines
    source: str  # the repository it came from, owner/name
    kind: str  # "single" or "multi"


@dataclass(frozen=True)
class PhotoResult:
    """What the pipeline made of one photo."""

    path: str
    source: str
    kind: str
    label: str
    reading: str  # as the CLI prints it; "" when it failed
    seconds: float
    error: str  # "" when read; else the CLI's error message or a traceback's last line
    traceback: bool  # the failure was not one the CLI reports as a message (a bug)

    @property
    def exact(self) -> bool:
        return self.reading == self.label

    @property
    def digits(self) -> int:
        return len(_digits_only(self.label))

    @property
    def digits_right(self) -> int:
        """Digits read right: the label's digit count less the edit distance, never below 0."""
        return self.digits - digit_errors(self.reading, self.label)


@dataclass(frozen=True)
class SourceScore:
    """The figures of one source (or of all photos)."""

    source: str
    singles: int
    single_accuracy: float  # nan without singles
    multis: int
    multi_exact: float  # nan without multis
    digits: int  # labelled digits in the multi-digit photos
    digit_level: float  # nan without multis
    mean_seconds: float
    p95_seconds: float
    errors: int  # error messages the CLI would print
    tracebacks: int  # unexpected exceptions


def read_manifest(manifest: Path) -> list[Photo]:
    """The photos listed in `manifest` (columns path, label, source, kind), paths made absolute.

    The source column reads `github:owner/name@commit:path`; only owner/name is kept.
    """
    with manifest.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [
        Photo(
            path=manifest.parent / row["path"],
            name=row["path"],
            label=row["label"].strip(),
            source=row["source"].removeprefix("github:").split("@")[0],
            kind=row["kind"],
        )
        for row in rows
    ]


def edit_distance(first: str, second: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions each cost one."""
    previous = list(range(len(second) + 1))
    for row, first_char in enumerate(first, start=1):
        current = [row]
        for column, second_char in enumerate(second, start=1):
            current.append(min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (first_char != second_char)))
        previous = current
    return previous[-1]


def digit_errors(reading: str, label: str) -> int:
    """Digits dropped, added or misread: the edit distance with line separators left out, at most all
    of the label's digits."""
    return min(edit_distance(_digits_only(reading), _digits_only(label)), len(_digits_only(label)))


def read_picture(image: np.ndarray, predict: Predictor, not_sure_floor: float) -> str:
    """What `python -m core predict` prints for a decoded picture (see `core.reading`).

    Raises:
        NoInkError: no digit was found (a ValueError, which the CLI prints as a message).
    """
    return read_image(image, predict, not_sure_floor).text


def read_photo(photo: Photo, predict: Predictor, not_sure_floor: float) -> PhotoResult:
    """Reads one photo the way `python -m core predict` does, timing it and catching every failure."""
    start = time.perf_counter()
    reading, error, unexpected = "", "", False
    try:
        image = decode_image(photo.path.read_bytes(), name=photo.path.name, working_side=MAX_WORKING_SIDE)
        reading = read_picture(image, predict, not_sure_floor)
    except (OSError, ValueError) as failure:  # the CLI prints these as "error: ..."
        error = str(failure)
    except Exception as failure:  # noqa: BLE001 - a traceback in the CLI: count it, keep measuring
        error, unexpected = f"{type(failure).__name__}: {failure}", True
        logger.error("%s raised\n%s", photo.path, traceback.format_exc())
    seconds = time.perf_counter() - start
    return PhotoResult(
        path=photo.name,
        source=photo.source,
        kind=photo.kind,
        label=photo.label,
        reading=reading,
        seconds=seconds,
        error=error,
        traceback=unexpected,
    )


def score(source: str, results: Sequence[PhotoResult]) -> SourceScore:
    """The figures of `results` (all from `source`, or from every source)."""
    singles = [result for result in results if result.kind == "single"]
    multis = [result for result in results if result.kind != "single"]
    digits = sum(result.digits for result in multis)
    seconds = np.array([result.seconds for result in results], float)
    return SourceScore(
        source=source,
        singles=len(singles),
        single_accuracy=_share(sum(result.exact for result in singles), len(singles)),
        multis=len(multis),
        multi_exact=_share(sum(result.exact for result in multis), len(multis)),
        digits=digits,
        digit_level=_share(sum(result.digits_right for result in multis), digits),
        mean_seconds=float(seconds.mean()) if len(seconds) else float("nan"),
        p95_seconds=float(np.percentile(seconds, 95)) if len(seconds) else float("nan"),
        errors=sum(bool(result.error) and not result.traceback for result in results),
        tracebacks=sum(result.traceback for result in results),
    )


def scores_by_source(results: Sequence[PhotoResult]) -> list[SourceScore]:
    """One score per source, sorted by name, then the overall score."""
    sources = sorted({result.source for result in results}, key=str.lower)
    per_source = [score(source, [result for result in results if result.source == source]) for source in sources]
    return [*per_source, score(OVERALL, results)]


def markdown_table(scores: Sequence[SourceScore]) -> str:
    """The scores as a markdown table, the overall row last."""
    lines = [
        "| source | single | multi exact | digit level | mean s | p95 s | errors | tracebacks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in scores:
        lines.append(
            f"| {entry.source} | {_cell(entry.single_accuracy, entry.singles)} "
            f"| {_cell(entry.multi_exact, entry.multis)} | {_cell(entry.digit_level, entry.digits)} "
            f"| {entry.mean_seconds:.3f} | {entry.p95_seconds:.3f} | {entry.errors} | {entry.tracebacks} |"
        )
    return "\n".join(lines)


def run_benchmark(photos: Sequence[Photo], predict: Predictor, not_sure_floor: float) -> list[PhotoResult]:
    """Reads every photo in turn."""
    results = []
    for photo in photos:
        result = read_photo(photo, predict, not_sure_floor)
        logger.debug("%s: %r for %r in %.3f s %s", result.path, result.reading, result.label, result.seconds, result.error)
        results.append(result)
    return results


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every photo benchmark shares: which model reads, and how much it logs."""
    parser.add_argument("--model", type=Path, help="a .keras file or a run folder (default: as the CLI)")
    parser.add_argument("--runs-dir", type=Path, help="where runs are found (default: $DIGIT_LAB_RUNS or runs/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each photo's reading")


def reader_from(args: argparse.Namespace) -> tuple[Path, Predictor, float]:
    """Sets up logging as `--verbose` says, and loads the model the options name as the CLI would:
    its file, its NumPy predictor and its not-sure floor."""
    from core.logging_setup import configure_logging
    from core.numpy_model import load_predictor
    from core.runs import default_runs_dir, model_file_to_use, not_sure_floor_for

    configure_logging(logging.DEBUG if args.verbose else None)
    model_path = model_file_to_use(args.model, args.runs_dir or default_runs_dir())
    return model_path, load_predictor(model_path), not_sure_floor_for(model_path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.photos", description=__doc__.splitlines()[0])
    add_model_arguments(parser)
    parser.add_argument("--json", type=Path, help="where to write the results (default: bench/results/photos-TIME.json)")
    args = parser.parse_args(argv)
    model_path, predict, not_sure_floor = reader_from(args)
    photos = read_manifest(dev_data_file(MANIFEST_FILE))
    results = run_benchmark(photos, predict, not_sure_floor)
    scores = scores_by_source(results)
    print(markdown_table(scores))
    for result in results:
        if not result.exact:
            print(f"{result.path}: read {result.reading!r}, label {result.label!r} {result.error}", file=sys.stderr)

    write_report("bench.photos", argv, args.json, model_path, scores, results)
    return 1 if any(result.error for result in results) else 0


def write_report(
    module: str, argv: Sequence[str] | None, out: Path | None, model_path: Path, scores: Sequence, results: Sequence
) -> Path:
    """Writes a benchmark's command, time, model, scores and per-photo results (dataclasses) as JSON to
    `out`, or to bench/results/ named after the module and the time, and says where on stderr."""
    stamp = datetime.now(timezone.utc)
    out = out or RESULTS_DIR / f"{module.removeprefix('bench.').replace('_', '-')}-{stamp:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": shlex.join(["python", "-m", module, *(argv if argv is not None else sys.argv[1:])]),
        "when": stamp.isoformat(),
        "model": str(model_path),
        "scores": [asdict(entry) for entry in scores],
        "photos": [asdict(result) for result in results],
    }
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"results: {out}", file=sys.stderr)
    return out


def _digits_only(text: str) -> str:
    return text.replace(LINE_SEPARATOR, "")


def _share(count: int, total: int) -> float:
    return count / total if total else float("nan")


def _cell(value: float, count: int) -> str:
    return "–" if count == 0 else f"{value:.1%} ({count})"


if __name__ == "__main__":
    sys.exit(main())
