"""How well a trained model reads real handwriting: pendigits as canvas drawings, Semeion as photos, UJI as both.

Run `python -m bench.realworld [--model PATH] [--limit N] [--json OUT] [--failures PNG] [--record]`.
pendigits and Semeion come from $DIGIT_LAB_DEV_DATA (see bench/dev_data.py) and are for measuring only: nothing
here trains on them or tunes anything on their labels. UJI's writers 41-60 come from the project's asset
(`core.uji`); writers 1-40 train the shipped recipe and are never scored here.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

# TensorFlow's C++ start-up chatter would bury the table; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import numpy as np

from bench.dev_data import PENDIGITS_FILE, PROJECT_ROOT, SEMEION_FILE, dev_data_file
from bench.handwriting import (
    PenDigit,
    parse_pendigits,
    parse_semeion,
    rasterise_pen_digit,
    semeion_as_photo,
    strokes_as_photo,
)
from core.mnist_format import IMAGE_SIDE, NUM_CLASSES, as_stored_digits
from core.pen_strokes import draw_canvas
from core.preprocessing import NoInkError, normalise_polarity, preprocess_digit, to_grayscale
from core.realworld_report import (
    CONFUSION_SETS,
    MISTAKES_FILE,
    NO_MISTAKES,
    NON_DIGITS,
    PENDIGITS_DEFAULT,
    REALWORLD_FILE,
    SEMEION_PHOTO,
    UJI_CANVAS,
    UJI_PHOTO,
    Confusion,
    Mistakes,
    SetResult,
    commonest_confusions,
    confusion_to_json,
    save_mistakes,
)
from core.runs import default_runs_dir, model_file_to_use, not_sure_floor_for
from core.uji import UjiDigit, measuring_digits
from core.uncertainty import NOT_A_DIGIT, is_doubted

if TYPE_CHECKING:
    import keras

DEFAULT_STROKE_WIDTH = 18
DEFAULT_FILL = 0.7
STROKE_WIDTHS = (8, 12, 18, 24, 30)  # at DEFAULT_FILL
FILLS = (0.3, 0.5, 0.7, 0.9)  # at DEFAULT_STROKE_WIDTH
SUBSET_SEED = 0
TOP_CONFUSIONS = 5  # per set
COMMONEST_CONFUSIONS = 10  # over CONFUSION_SETS together
PICTURED_CONFUSIONS = 8  # of those, the ones --record keeps pictures of
PICTURES_PER_CONFUSION = 6
NO_PREDICTION = -1  # stands for "the pipeline found no ink", which always counts as wrong


@dataclass(frozen=True)
class Inputs:
    """Model inputs for a stack of digits, through the MNIST recipe and, optionally, a plain resize."""

    recipe: np.ndarray  # (n, 28, 28) float32 in [0, 1]; zeros where no ink was found
    plain: np.ndarray | None  # (n, 28, 28) float32 in [0, 1], or None when not asked for
    no_ink: np.ndarray  # (n,) bool


def balanced_subset(labels: np.ndarray, limit: int | None, seed: int = SUBSET_SEED) -> np.ndarray:
    """Indices of a class-balanced, reproducible subset of at most `limit` items, in dataset order.

    Each class gets `limit // classes` items, the first `limit % classes` classes one more (fewer if a class
    runs out), drawn by a seeded shuffle so every writer can appear, not just the first few in the file.

    Args:
        labels: `(n,)` integer labels.
        limit: the subset's size; None or >= n keeps everything.
        seed: seeds the shuffle.

    Returns:
        `(m,)` int64 sorted indices into `labels`.

    Raises:
        ValueError: `limit` is not positive.
    """
    if limit is None or limit >= len(labels):
        return np.arange(len(labels))
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}.")
    order = np.random.default_rng(seed).permutation(len(labels))  # (n,)
    classes = np.unique(labels)
    chosen = []
    for rank, label in enumerate(classes):
        quota = limit // len(classes) + (rank < limit % len(classes))
        chosen.append(order[labels[order] == label][:quota])
    return np.sort(np.concatenate(chosen))


def plain_resize(image: np.ndarray) -> np.ndarray:
    """The naive baseline: grey, ink made bright, the whole picture squashed to 28x28. No crop, no centring.

    Returns:
        `(28, 28)` float32 in [0, 1].
    """
    bright = normalise_polarity(to_grayscale(image))  # (H, W) uint8, ink bright
    return cv2.resize(bright, (IMAGE_SIDE, IMAGE_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / np.float32(255.0)


def prepare(images: Iterable[np.ndarray], count: int, *, with_plain: bool = False) -> Inputs:
    """Runs every picture through `preprocess_digit` (and the plain baseline), one at a time.

    Pictures come from an iterable so a 280x280 RGBA canvas never has to be held for thousands of digits.

    Args:
        images: `count` uint8 pictures, each any shape `preprocess_digit` takes.
        count: how many pictures `images` yields.
        with_plain: also compute `plain_resize` inputs.

    Raises:
        ValueError: `images` yields a different number of pictures than `count`.
    """
    recipe = np.zeros((count, IMAGE_SIDE, IMAGE_SIDE), np.float32)
    plain = np.zeros((count, IMAGE_SIDE, IMAGE_SIDE), np.float32) if with_plain else None
    no_ink = np.zeros(count, bool)
    index = -1
    for index, image in enumerate(images):
        if index >= count:
            raise ValueError(f"More than the {count} pictures announced.")
        try:
            recipe[index] = preprocess_digit(image).model_input
        except NoInkError:
            no_ink[index] = True
        if plain is not None:
            plain[index] = plain_resize(image)
    if index + 1 != count:
        raise ValueError(f"Expected {count} pictures, got {index + 1}.")
    return Inputs(recipe=recipe, plain=plain, no_ink=no_ink)


def predict_labels(model: keras.Model, inputs: np.ndarray, no_ink: np.ndarray | None = None) -> np.ndarray:
    """The model's digit for each input, `NO_PREDICTION` where the pipeline found no ink.

    Returns:
        `(n,)` int64.
    """
    from core.inference import predict_probabilities

    predictions = predict_probabilities(model, inputs).argmax(axis=1)  # (n,), batched by 1,000 inside
    if no_ink is not None:
        predictions[no_ink] = NO_PREDICTION
    return predictions


def per_class_accuracy(labels: np.ndarray, predictions: np.ndarray) -> dict[int, float]:
    """Share of each true class read correctly (recall), for the classes present."""
    return {int(label): float((predictions[labels == label] == label).mean()) for label in np.unique(labels)}


def top_confusions(labels: np.ndarray, predictions: np.ndarray, count: int = TOP_CONFUSIONS) -> list[dict[str, int]]:
    """The most frequent (true, predicted) mistakes, most frequent first; ties by true then predicted digit.

    Digits the pipeline rejected (`NO_PREDICTION`) are not confusions and are left out.
    """
    wrong = (labels != predictions) & (predictions != NO_PREDICTION)
    pairs, counts = np.unique(np.stack([labels[wrong], predictions[wrong]], axis=1), axis=0, return_counts=True)
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], pairs[i][0], pairs[i][1]))[:count]
    return [{"true": int(pairs[i][0]), "predicted": int(pairs[i][1]), "count": int(counts[i])} for i in order]


def failure_grid(inputs: np.ndarray, labels: np.ndarray, predictions: np.ndarray, *, count: int = 40,
                 columns: int = 10, zoom: int = 3) -> np.ndarray:
    """Tiles the model inputs of the first `count` mistakes, round-robin over true classes, captioned "true>pred"
    ("-" where no ink was found, "nd" for "not a digit").

    Returns:
        `(rows * (28 * zoom + 14), columns * 28 * zoom)` uint8 grey; an empty `(0, width)` image if none failed.
    """
    wrong = np.flatnonzero(labels != predictions)
    by_class = [list(wrong[labels[wrong] == label]) for label in range(NUM_CLASSES)]
    picked: list[int] = []
    while len(picked) < count and any(by_class):
        for queue in by_class:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    side, caption = IMAGE_SIDE * zoom, 14
    rows = -(-len(picked) // columns)
    grid = np.zeros((rows * (side + caption), columns * side), np.uint8)
    for slot, index in enumerate(picked):
        top, left = (slot // columns) * (side + caption), (slot % columns) * side
        tile = cv2.resize((inputs[index] * 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
        grid[top : top + side, left : left + side] = tile
        cv2.rectangle(grid, (left, top), (left + side - 1, top + side - 1), 90, 1)  # tiles stay apart
        predicted = {NO_PREDICTION: "-", NOT_A_DIGIT: "nd"}.get(int(predictions[index]), str(predictions[index]))
        cv2.putText(grid, f"{labels[index]}>{predicted}", (left + 4, top + side + 11),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1, cv2.LINE_AA)
    return grid


def pen_canvases(digits: Sequence[PenDigit], stroke_width: int, fill: float) -> Iterable[np.ndarray]:
    """The digits drawn one at a time as canvas exports (see `rasterise_pen_digit`)."""
    return (rasterise_pen_digit(digit, stroke_width=stroke_width, fill=fill) for digit in digits)


def uji_canvases(digits: Sequence[UjiDigit], stroke_width: int, fill: float) -> Iterable[np.ndarray]:
    """UJI digits drawn one at a time as canvas exports, like `pen_canvases`."""
    return (draw_canvas(digit.strokes, stroke_width=stroke_width, fill=fill) for digit in digits)


def _score(name: str, dataset: str, rendering: str, labels: np.ndarray, predictions: np.ndarray,
           no_ink: np.ndarray | None = None, stroke_width: int | None = None, fill: float | None = None) -> SetResult:
    rejected = 0 if no_ink is None else int(no_ink.sum())
    return SetResult(name, dataset, rendering, stroke_width, fill, len(labels), int((predictions == labels).sum()),
                     rejected)


def _class_summary(labels: np.ndarray, predictions: np.ndarray) -> dict:
    return {"per_class_accuracy": per_class_accuracy(labels, predictions),
            "top_confusions": top_confusions(labels, predictions)}


@dataclass(frozen=True)
class BenchmarkReport:
    """Every figure of one benchmark run, plus the arrays needed to draw its mistakes."""

    sets: tuple[SetResult, ...]  # pendigits canvases, Semeion photos, UJI canvas and photos, plain-resize baselines
    pendigits_default: dict  # per_class_accuracy and top_confusions at the default pen
    semeion_photo: dict  # the same for Semeion photos
    uji_canvas: dict  # the same for UJI writers 41-60 at the default pen
    failures: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (inputs, labels, predictions), FAILURE_SETS


FAILURE_SETS = (PENDIGITS_DEFAULT, SEMEION_PHOTO, UJI_CANVAS, UJI_PHOTO)
"""The sets whose model inputs a report keeps (`BenchmarkReport.failures`), in that order."""


def measure_uji(model: keras.Model, limit: int | None) -> tuple[list[SetResult], list[tuple[np.ndarray, ...]]]:
    """UJI writers 41-60, never trained on, as canvas drawings at the default pen and as photos on paper.

    Returns:
        The canvas and photo results, and their (inputs, labels, predictions).
    """
    every = measuring_digits()
    chosen = balanced_subset(np.array([digit.label for digit in every]), limit)
    digits = [every[i] for i in chosen]
    labels = np.array([digit.label for digit in digits])  # (n,)
    canvas = prepare(uji_canvases(digits, DEFAULT_STROKE_WIDTH, DEFAULT_FILL), len(digits))
    canvas_predictions = predict_labels(model, canvas.recipe, canvas.no_ink)
    # Seeding by the digit's place among writers 41-60 gives each digit the same photo with or without --limit.
    photos = prepare((strokes_as_photo(every[i].strokes, seed=int(i)) for i in chosen), len(digits))
    photo_predictions = predict_labels(model, photos.recipe, photos.no_ink)
    results = [
        _score(f"uji canvas, writers 41-60, width {DEFAULT_STROKE_WIDTH}, fill {DEFAULT_FILL} (default)", "uji",
               "canvas", labels, canvas_predictions, canvas.no_ink, DEFAULT_STROKE_WIDTH, DEFAULT_FILL),
        _score("uji photo, writers 41-60", "uji", "photo", labels, photo_predictions, photos.no_ink),
    ]
    return results, [(canvas.recipe, labels, canvas_predictions), (photos.recipe, labels, photo_predictions)]


def run_benchmark(model: keras.Model, *, limit: int | None = None,
                  log: Callable[[str], None] = lambda _: None) -> BenchmarkReport:
    """Measures `model` on pendigits canvases (several pens and sizes), Semeion photos, UJI canvases and photos
    (writers 41-60), and the plain-resize baselines.

    Args:
        model: the classifier to measure.
        limit: a class-balanced subset of this many digits per dataset (None: all).
        log: receives one progress line per rendering.

    Raises:
        ValueError: a dataset file is malformed.
        FileNotFoundError: a dataset file is missing (the message names it and $DIGIT_LAB_DEV_DATA).
        OSError: a dataset file cannot be read.
    """
    pen_all = parse_pendigits(dev_data_file(PENDIGITS_FILE))
    pen_digits = [pen_all[i] for i in balanced_subset(np.array([digit.label for digit in pen_all]), limit)]
    pen_labels = np.array([digit.label for digit in pen_digits])  # (n,)
    default = (DEFAULT_STROKE_WIDTH, DEFAULT_FILL)
    # Each series varies one setting around the default, so the default is measured once and listed in both.
    series = [default] + [(width, DEFAULT_FILL) for width in STROKE_WIDTHS] + [(DEFAULT_STROKE_WIDTH, f) for f in FILLS]

    sets: list[SetResult] = []
    baselines: list[SetResult] = []
    measured: dict[tuple[int, float], SetResult] = {}
    for width, fill in series:
        if (width, fill) in measured:
            sets.append(measured[(width, fill)])
            continue
        started = time.perf_counter()
        inputs = prepare(pen_canvases(pen_digits, width, fill), len(pen_digits), with_plain=(width, fill) == default)
        predictions = predict_labels(model, inputs.recipe, inputs.no_ink)
        suffix = " (default)" if (width, fill) == default else ""
        result = _score(f"pendigits canvas, width {width}, fill {fill}{suffix}", "pendigits", "canvas", pen_labels,
                        predictions, inputs.no_ink, width, fill)
        measured[(width, fill)] = result
        sets.append(result)
        if inputs.plain is not None:
            pen_default = (inputs.recipe, pen_labels, predictions)
            baselines.append(_score(f"pendigits plain resize, width {width}, fill {fill}", "pendigits",
                                    "plain resize", pen_labels, predict_labels(model, inputs.plain),
                                    stroke_width=width, fill=fill))
        log(f"pendigits width {width} fill {fill}: {result.accuracy:.2%} ({time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    bitmaps, semeion_labels_all = parse_semeion(dev_data_file(SEMEION_FILE))
    chosen = balanced_subset(semeion_labels_all, limit)
    semeion_labels = semeion_labels_all[chosen].astype(np.int64)  # (m,)
    # Seeding by the digit's row in the file gives each digit the same photo with or without --limit.
    photos = (semeion_as_photo(bitmaps[i], seed=int(i)) for i in chosen)
    semeion_inputs = prepare(photos, len(chosen), with_plain=True)
    semeion_predictions = predict_labels(model, semeion_inputs.recipe, semeion_inputs.no_ink)
    sets.append(_score("semeion photo", "semeion", "photo", semeion_labels, semeion_predictions, semeion_inputs.no_ink))
    baselines.append(_score("semeion plain resize", "semeion", "plain resize", semeion_labels,
                            predict_labels(model, semeion_inputs.plain)))
    log(f"semeion photo: {sets[-1].accuracy:.2%} ({time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    uji_results, uji_failures = measure_uji(model, limit)
    sets.extend(uji_results)
    log(f"uji canvas / photo: {uji_results[0].accuracy:.2%} / {uji_results[1].accuracy:.2%} "
        f"({time.perf_counter() - started:.1f} s)")

    return BenchmarkReport(
        sets=tuple(sets + baselines),
        pendigits_default=_class_summary(pen_default[1], pen_default[2]),
        semeion_photo=_class_summary(semeion_labels, semeion_predictions),
        uji_canvas=_class_summary(*uji_failures[0][1:]),
        failures=(pen_default, (semeion_inputs.recipe, semeion_labels, semeion_predictions), *uji_failures),
    )


def markdown_table(results: Sequence[SetResult]) -> str:
    """The figures as a markdown table: set, n, accuracy (and rejected digits when there are any)."""
    lines = ["| set | n | accuracy |", "| --- | ---: | ---: |"]
    for result in results:
        rejected = f" ({result.no_ink} no ink)" if result.no_ink else ""
        lines.append(f"| {result.name} | {result.n} | {result.accuracy:.2%}{rejected} |")
    return "\n".join(lines)


def _answer_name(prediction: int) -> str:
    return "not a digit" if prediction == NOT_A_DIGIT else str(prediction)


def _class_lines(title: str, summary: dict) -> list[str]:
    per_class = " ".join(f"{label}:{accuracy:.0%}" for label, accuracy in summary["per_class_accuracy"].items())
    confusions = ", ".join(f"{c['true']}→{_answer_name(c['predicted'])} ×{c['count']}" for c in summary["top_confusions"])
    return [f"{title} per-class accuracy: {per_class}", f"{title} top confusions: {confusions or 'none'}"]


TRADE_OFF_FLOORS = (0.5, 0.8, 0.9, 0.95)
"""Floors around the fitted one: what flagging fewer or more non-digits would do to real digits' "?" rate."""


def answers(model: keras.Model, report: BenchmarkReport) -> dict[str, np.ndarray]:
    """The model's (n, classes) probabilities for every input of the real sets and of the non-digits.

    The non-digits are `core.font_marks`, which no model trains on (they learn from `core.drawn_marks`).
    """
    from core.font_marks import font_mark_inputs
    from core.inference import predict_probabilities

    sets = {
        name: inputs for name, (inputs, _, _) in zip(FAILURE_SETS, report.failures)
    }
    sets[NON_DIGITS] = font_mark_inputs()
    return {name: predict_probabilities(model, inputs) for name, inputs in sets.items()}


def doubt_rates(probabilities: dict[str, np.ndarray], not_sure_floor: float) -> dict[str, float]:
    """Share of each set the app would answer "?" (not sure) or "-" (not a digit) for.

    For real digits lower is better; for the non-digits (letters, symbols) higher is.
    """
    return {name: float(np.mean(is_doubted(values, not_sure_floor))) for name, values in probabilities.items()}


def _confusion_sets(report: BenchmarkReport) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(inputs, labels, predictions) of the sets whose mistakes count as the model's confusions."""
    return {name: failure for name, failure in zip(FAILURE_SETS, report.failures) if name in CONFUSION_SETS}


def report_confusions(report: BenchmarkReport, count: int = COMMONEST_CONFUSIONS) -> list[Confusion]:
    """The commonest mistakes over pendigits (default pen), Semeion photos and UJI canvases together."""
    sets = _confusion_sets(report)
    return commonest_confusions({name: (labels, predictions) for name, (_, labels, predictions) in sets.items()}, count)


def mistake_pictures(report: BenchmarkReport, confusions: Sequence[Confusion],
                     per_confusion: int = PICTURES_PER_CONFUSION) -> Mistakes:
    """Up to `per_confusion` model inputs of each confusion, taken in turn from each set that makes it, so the
    pictures show every kind of handwriting behind a mistake rather than the first set's only.
    """
    sets = _confusion_sets(report)
    images, true, given, names = [], [], [], []
    for confusion in confusions:
        queues = {name: list(np.flatnonzero((labels == confusion.true) & (predictions == confusion.answer)))
                  for name, (_, labels, predictions) in sets.items()}
        taken = 0
        while taken < per_confusion and any(queues.values()):
            for name, queue in queues.items():
                if queue and taken < per_confusion:
                    images.append(as_stored_digits(sets[name][0][queue.pop(0)]))  # (28, 28)
                    true.append(confusion.true)
                    given.append(confusion.answer)
                    names.append(name)
                    taken += 1
    if not images:
        return NO_MISTAKES
    return Mistakes(np.stack(images), np.array(true), np.array(given), np.array(names))


def project_relative(path: Path) -> str:
    """`path` relative to the project when it lies inside it, so a recorded file names no machine's folders."""
    resolved = path.resolve()
    return str(resolved.relative_to(PROJECT_ROOT)) if resolved.is_relative_to(PROJECT_ROOT) else str(resolved)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.realworld", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a .keras file or a run folder (default: the active run, "
                        "else the shipped model)")
    parser.add_argument("--limit", type=int, help="a class-balanced, reproducible subset of N digits per dataset")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write every figure to this JSON file")
    parser.add_argument("--failures", type=Path, metavar="PNG",
                        help="save the model inputs of some mistakes (pendigits, semeion, uji canvas, uji photo) as a grid")
    parser.add_argument("--record", action="store_true",
                        help=f"also write the figures as {REALWORLD_FILE}, and pictures of the commonest mistakes as "
                        f"{MISTAKES_FILE}, into the model's run folder, for the app's Home")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark and prints the table; returns the exit status (2 for bad input)."""
    args = build_parser().parse_args(argv)
    command = shlex.join(["python", "-m", "bench.realworld", *(sys.argv[1:] if argv is None else argv)])
    if args.limit is not None and args.limit <= 0:
        print("error: --limit must be positive", file=sys.stderr)
        return 2
    try:
        model_path = model_file_to_use(args.model, default_runs_dir())
        from core.inference import load_model  # TensorFlow loads here, after the cheap checks.

        model = load_model(model_path)
        started = time.perf_counter()
        report = run_benchmark(model, limit=args.limit, log=lambda line: print(line, file=sys.stderr, flush=True))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started

    print(f"model: {model_path}")
    print(markdown_table(report.sets))
    print()
    print("\n".join(_class_lines("pendigits default", report.pendigits_default)))
    print("\n".join(_class_lines("semeion photo", report.semeion_photo)))
    print("\n".join(_class_lines("uji canvas", report.uji_canvas)))
    not_sure_floor = not_sure_floor_for(model_path)
    probabilities = answers(model, report)
    rates_at_run_floor = doubt_rates(probabilities, not_sure_floor)
    for floor, rates in (
        (not_sure_floor, rates_at_run_floor),
        *((floor, doubt_rates(probabilities, floor)) for floor in TRADE_OFF_FLOORS),
    ):
        label = "the run's floor" if floor == not_sure_floor else "a floor of"
        print(f"answered '?' or '-' with {label} {floor:.3f}: " + ", ".join(f"{name} {rate:.2%}" for name, rate in rates.items()))
    print(f"({elapsed:.0f} s)", file=sys.stderr)

    if args.failures is not None:
        grids = [failure_grid(*failure) for failure in report.failures]
        separator = np.full((6, grids[0].shape[1]), 128, np.uint8)  # a grey bar between the datasets
        cv2.imwrite(str(args.failures), np.vstack([part for grid in grids for part in (grid, separator)][:-1]))
    confusions = report_confusions(report)
    listed = ", ".join(f"{c.true}→{_answer_name(c.answer)} ×{c.count}" for c in confusions)
    print(f"commonest confusions (pendigits, semeion, uji canvas): {listed or 'none'}")
    if args.json is not None or args.record:
        document = {
            "command": command,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model": project_relative(model_path),
            "limit": args.limit,
            "seconds": round(elapsed, 1),
            "sets": [{**asdict(result), "accuracy": result.accuracy} for result in report.sets],
            "pendigits_default": report.pendigits_default,
            "semeion_photo": report.semeion_photo,
            "uji_canvas": report.uji_canvas,
            "not_sure_floor": not_sure_floor,
            "not_sure_rates": rates_at_run_floor,
            "commonest_confusions": [confusion_to_json(confusion) for confusion in confusions],
        }
        text = json.dumps(document, indent=2)
        if args.json is not None:
            args.json.write_text(text, encoding="utf-8")
        if args.record:
            # Beside the model, so the app can show the figures wherever the run goes.
            (model_path.parent / REALWORLD_FILE).write_text(text, encoding="utf-8")
            save_mistakes(model_path.parent / MISTAKES_FILE, mistake_pictures(report, confusions[:PICTURED_CONFUSIONS]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
