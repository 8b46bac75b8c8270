"""Which way to teach "not a digit" (each of `core.config.NON_DIGIT_METHODS`), compared on the same training.

Run `python -m bench.non_digit_methods [--architecture fast] [--epochs 2] [--model PATH]` with full MNIST
($DIGIT_LAB_MNIST). Each method trains once; every model is scored the same way: MNIST test accuracy,
the share of `core.font_marks` (never trained on) answered "not a digit" or "not sure", and the share of
real pen digits (pendigits, measuring only) answered either way, which should stay near zero.
`--model` scores a saved model instead, e.g. the shipped one, for a baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench.dev_data import PENDIGITS_FILE, dev_data_file  # noqa: E402
from bench.handwriting import parse_pendigits  # noqa: E402
from bench.realworld import DEFAULT_FILL, DEFAULT_STROKE_WIDTH, balanced_subset, pen_canvases, prepare  # noqa: E402
from core.config import NON_DIGIT_METHODS  # noqa: E402
from core.font_marks import font_mark_inputs  # noqa: E402
from core.uncertainty import is_doubted  # noqa: E402

PEN_DIGITS = 2_000
"""A class-balanced subset of pendigits, as `bench.realworld --limit` draws it."""

Predict = Callable[[np.ndarray], np.ndarray]


def pen_digit_inputs(limit: int = PEN_DIGITS) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) float32 inputs and (n,) labels of pendigits drawn with the canvas's default pen."""
    digits = parse_pendigits(dev_data_file(PENDIGITS_FILE))
    chosen = [digits[i] for i in balanced_subset(np.array([digit.label for digit in digits]), limit)]
    inputs = prepare(pen_canvases(chosen, DEFAULT_STROKE_WIDTH, DEFAULT_FILL), len(chosen))
    return inputs.recipe, np.array([digit.label for digit in chosen])


def score(predict: Predict, not_sure_floor: float, mnist_test: tuple[np.ndarray, np.ndarray],
          pen: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """The figures that decide between the methods, for one model and its "not sure" floor."""
    mnist_probabilities = predict(mnist_test[0])  # (n, classes)
    pen_probabilities = predict(pen[0])
    return {
        "mnist_accuracy": float(np.mean(mnist_probabilities.argmax(axis=1) == mnist_test[1])),
        "marks_doubted": float(np.mean(is_doubted(predict(font_mark_inputs()), not_sure_floor))),
        "pen_accuracy": float(np.mean(pen_probabilities.argmax(axis=1) == pen[1])),
        "pen_doubted": float(np.mean(is_doubted(pen_probabilities, not_sure_floor))),
        "mnist_doubted": float(np.mean(is_doubted(mnist_probabilities, not_sure_floor))),
        "outputs": mnist_probabilities.shape[1],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.non_digit_methods", description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", default="fast")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=list(NON_DIGIT_METHODS), choices=NON_DIGIT_METHODS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, help="score this saved model (a .keras file or run folder) instead")
    parser.add_argument("--runs-dir", type=Path, help="also save each trained model there as a run, to score again later")
    args = parser.parse_args(argv)

    from core.data import load_mnist
    from core.inference import predict_probabilities

    data = load_mnist(fallback_to_sample=False)
    mnist_test, pen = (data.x_test, data.y_test), pen_digit_inputs()
    print("| model | outputs | MNIST test | font marks '-' or '?' | pendigits | pendigits '-' or '?' | MNIST '-' or '?' | s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows: list[tuple[str, dict[str, float], float]] = []
    if args.model is not None:
        from core.inference import load_model
        from core.runs import default_runs_dir, model_file_to_use, not_sure_floor_for

        model_path = model_file_to_use(args.model, default_runs_dir())
        model = load_model(model_path)
        rows.append((str(args.model), score(lambda x: predict_probabilities(model, x), not_sure_floor_for(model_path),
                                            mnist_test, pen), 0.0))
    else:
        from core.config import TrainingConfig
        from core.training import train

        for method in args.methods:
            config = TrainingConfig.for_architecture(args.architecture, epochs=args.epochs, non_digits=method,
                                                     seed=args.seed)
            started = time.perf_counter()
            result = train(config, data)
            seconds = time.perf_counter() - started
            figures = score(lambda x: predict_probabilities(result.model, x), result.not_sure_floor, mnist_test, pen)
            name = f"{args.architecture} {args.epochs} ep, {method}"
            if args.runs_dir is not None:
                from core.runs import RunStore

                name += f" (run {RunStore(args.runs_dir, shipped_dir=None).save(result).run_id})"
            rows.append((name, figures, seconds))
            print(f"{method}: {figures} ({seconds:.0f} s)", file=sys.stderr, flush=True)
    for name, figures, seconds in rows:
        print(f"| {name} | {figures['outputs']} | {figures['mnist_accuracy']:.2%} | {figures['marks_doubted']:.1%} | "
              f"{figures['pen_accuracy']:.2%} | {figures['pen_doubted']:.2%} | {figures['mnist_doubted']:.2%} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
