"""Does adapting to a person's digits help them? Simulated people: writers the model never trained on keep
5 digits of each class, the model adapts to them (`core.adapt`), and that writer's other digits are scored.

Run `DIGIT_LAB_MNIST=... python -m bench.adapt [--model RUN] [--uji-writers N] [--pendigits-writers N]`.
UJI writers 41-60 (`core.uji`) have two samples of each digit: the first is kept, drawn five times with
a random pen, size, slant and place, as a person drawing it again would; the second is scored at five
pen widths. pendigits writers (measuring only, from $DIGIT_LAB_DEV_DATA) keep 5 real samples per digit and
are scored on the rest, all at the default pen. The recipe's settings can be overridden to compare recipes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

# TensorFlow's C++ start-up chatter would bury the table; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from bench.dev_data import PENDIGITS_FILE, dev_data_file
from bench.handwriting import PenDigit, parse_pendigits
from bench.realworld import DEFAULT_FILL, DEFAULT_STROKE_WIDTH, STROKE_WIDTHS, pen_canvases, prepare, uji_canvases
from core.adapt import RECIPE, AdaptationRecipe, adaptation_config
from core.mnist_format import NUM_CLASSES
from core.runs import SHIPPED_RUN_DIR, RunRecord, RunStore, default_runs_dir, read_run
from core.uji import MEASURING_WRITERS, UjiDigit, measuring_digits, training_canvas

KEPT_PER_CLASS = 5
SEED = 0


@dataclass(frozen=True)
class Writer:
    """One simulated person: the digits they keep and the digits they are scored on, as model inputs."""

    name: str
    kept: np.ndarray  # (k, 28, 28) float32 in [0, 1]
    kept_labels: np.ndarray  # (k,)
    scored: np.ndarray  # (s, 28, 28) float32 in [0, 1]; zeros where no ink was found (always wrong)
    scored_labels: np.ndarray  # (s,)
    scored_no_ink: np.ndarray  # (s,) bool


@dataclass(frozen=True)
class WriterResult:
    name: str
    kept: int
    scored: int
    before: float  # accuracy on the scored digits
    after: float
    seconds: float
    mnist_after: float

    @property
    def errors_removed(self) -> float | None:
        """Share of the writer's errors the adaptation removed (negative: it added some); None without errors."""
        errors_before = 1 - self.before
        return None if errors_before <= 0 else (errors_before - (1 - self.after)) / errors_before


def _inputs(pictures: Iterable[np.ndarray], count: int) -> tuple[np.ndarray, np.ndarray]:
    inputs = prepare(pictures, count)
    return inputs.recipe, inputs.no_ink


def uji_writers(count: int) -> list[Writer]:
    """UJI writers 41 on: the first sample of each digit kept as five fresh drawings, the second scored at five pens."""
    by_writer: dict[int, list[UjiDigit]] = defaultdict(list)
    for digit in measuring_digits():
        by_writer[digit.writer].append(digit)
    writers = []
    for writer in list(MEASURING_WRITERS)[:count]:
        first, second = [], []
        for digit in by_writer[writer]:  # by label, the writer's two samples in file order
            (second if any(d.label == digit.label for d in first) else first).append(digit)
        rng = np.random.default_rng(writer)
        kept_digits = [digit for digit in first for _ in range(KEPT_PER_CLASS)]
        kept, kept_no_ink = _inputs((training_canvas(digit, rng) for digit in kept_digits), len(kept_digits))
        scored_parts = [_inputs(uji_canvases(second, width, DEFAULT_FILL), len(second)) for width in STROKE_WIDTHS]
        kept_labels = np.array([digit.label for digit in kept_digits])
        writers.append(Writer(
            f"uji {writer}", kept[~kept_no_ink], kept_labels[~kept_no_ink],
            np.concatenate([part[0] for part in scored_parts]),
            np.tile([digit.label for digit in second], len(STROKE_WIDTHS)),
            np.concatenate([part[1] for part in scored_parts]),
        ))
    return writers


def pendigits_writers(count: int) -> list[Writer]:
    """pendigits writers with at least 6 samples of every digit: 5 kept (seeded choice), the rest scored."""
    by_writer: dict[int, list[PenDigit]] = defaultdict(list)
    for digit in parse_pendigits(dev_data_file(PENDIGITS_FILE)):
        by_writer[digit.writer].append(digit)
    writers = []
    for writer in sorted(by_writer):
        digits = by_writer[writer]
        labels = np.array([digit.label for digit in digits])
        if len(writers) == count or min(np.sum(labels == label) for label in range(NUM_CLASSES)) <= KEPT_PER_CLASS:
            continue
        rng = np.random.default_rng(writer)
        kept_index = np.concatenate([rng.permutation(np.flatnonzero(labels == label))[:KEPT_PER_CLASS]
                                     for label in range(NUM_CLASSES)])
        scored_index = np.setdiff1d(np.arange(len(digits)), kept_index)
        kept, kept_no_ink = _inputs(pen_canvases([digits[i] for i in kept_index], DEFAULT_STROKE_WIDTH, DEFAULT_FILL),
                                    len(kept_index))
        scored, scored_no_ink = _inputs(
            pen_canvases([digits[i] for i in scored_index], DEFAULT_STROKE_WIDTH, DEFAULT_FILL), len(scored_index))
        writers.append(Writer(f"pendigits {writer}", kept[~kept_no_ink], labels[kept_index][~kept_no_ink],
                              scored, labels[scored_index], scored_no_ink))
    return writers


def _accuracy(model, writer: Writer) -> float:
    from core.inference import predict_probabilities

    answers = predict_probabilities(model, writer.scored).argmax(axis=1)  # "not a digit" counts as wrong
    return float(np.mean((answers == writer.scored_labels) & ~writer.scored_no_ink))


def measure(source: RunRecord, writers: Sequence[Writer], recipe: AdaptationRecipe) -> tuple[list[WriterResult], float]:
    """Adapts the source run to each writer in turn; returns the results and MNIST accuracy before."""
    from core.adapt import adapt
    from core.data import load_mnist
    from core.inference import load_model

    data = load_mnist(fallback_to_sample=False)
    model = load_model(source.path / "model.keras")
    results, mnist_before = [], float("nan")
    for writer in writers:
        config = adaptation_config(source, len(writer.kept_labels), SEED, recipe)
        started = time.perf_counter()
        result = adapt(source, writer.kept, writer.kept_labels, data, config, recipe=recipe)
        seconds = time.perf_counter() - started
        mnist_before = result.adaptation.mnist_before
        results.append(WriterResult(writer.name, len(writer.kept_labels), len(writer.scored_labels),
                                    _accuracy(model, writer), _accuracy(result.model, writer), seconds,
                                    result.adaptation.mnist_after))
        print(f"{results[-1]}", file=sys.stderr, flush=True)
    return results, mnist_before


def markdown_table(results: Sequence[WriterResult]) -> str:
    lines = ["| writer | kept | scored | before | after | errors removed | seconds | MNIST after |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        removed = "n/a" if result.errors_removed is None else f"{result.errors_removed:.0%}"
        lines.append(f"| {result.name} | {result.kept} | {result.scored} | {result.before:.1%} | {result.after:.1%} "
                     f"| {removed} | {result.seconds:.1f} | {result.mnist_after:.2%} |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.adapt", description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a run id of $DIGIT_LAB_RUNS or a run folder (default: the shipped model)")
    parser.add_argument("--uji-writers", type=int, default=10, help="how many UJI writers from 41 on (default 10)")
    parser.add_argument("--pendigits-writers", type=int, default=10, help="how many pendigits writers (default 10)")
    for field in dataclasses.fields(AdaptationRecipe):
        name = "--" + field.name.replace("_", "-")
        if field.type == "bool":
            parser.add_argument(name, action=argparse.BooleanOptionalAction, default=getattr(RECIPE, field.name))
        else:
            kind = int if field.type == "int" else float
            parser.add_argument(name, type=kind, default=getattr(RECIPE, field.name),
                                help=f"the recipe's {field.name} (default {getattr(RECIPE, field.name)})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    recipe = AdaptationRecipe(**{field.name: getattr(args, field.name) for field in dataclasses.fields(AdaptationRecipe)})
    if args.model is None:
        source = read_run(SHIPPED_RUN_DIR, shipped=True)
    elif Path(args.model).is_dir():
        source = read_run(Path(args.model))
    else:
        source = RunStore(default_runs_dir()).get(args.model)
    writers = uji_writers(args.uji_writers) + pendigits_writers(args.pendigits_writers)
    results, mnist_before = measure(source, writers, recipe)
    print(f"model: {source.run_id}; recipe: {recipe}")
    print(markdown_table(results))
    removed = [result.errors_removed for result in results if result.errors_removed is not None]
    print()
    print(f"median share of errors removed: {statistics.median(removed):.0%} "
          f"(over the {len(removed)} writers with errors before)" if removed else "no writer had errors before")
    print(f"median seconds: {statistics.median(result.seconds for result in results):.1f}")
    mnist_after = [result.mnist_after for result in results]
    print(f"MNIST test accuracy: before {mnist_before:.2%}, after median {statistics.median(mnist_after):.2%}, "
          f"worst {min(mnist_after):.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
