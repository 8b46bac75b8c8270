"""What MNIST itself calls the shapes the model misreads: the labels of a mistake's nearest training digits.

Run `python -m bench.mnist_neighbours [--model PATH] [--k 8]` with `$DIGIT_LAB_MNIST` naming the full set.
It renders the pendigits canvases as `bench.realworld` does by default, and for each of the most frequent
mistakes "true t read as p" finds the k MNIST training digits closest to each misread input (Euclidean,
on the 28x28 model inputs, so no model is involved). When most of them are labelled p, MNIST's own writers
drew that shape as a p: more training on MNIST alone cannot be expected to read it as t.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from bench.dev_data import PENDIGITS_FILE, dev_data_file
from bench.handwriting import parse_pendigits
from bench.realworld import DEFAULT_FILL, DEFAULT_STROKE_WIDTH, pen_canvases, prepare, top_confusions
from core.data import load_mnist
from core.numpy_model import load_predictor
from core.runs import default_runs_dir, model_file_to_use

DEFAULT_NEIGHBOURS = 8
QUERY_BATCH = 256  # queries per distance matrix: 256 x 60,000 float32 is 61 MB


@dataclass(frozen=True)
class NeighbourRow:
    """One kind of reading and what its inputs' nearest MNIST training digits are labelled."""

    true: int
    predicted: int
    count: int
    share_true: float  # of all the neighbours of these inputs, labelled `true`
    share_predicted: float  # labelled `predicted`


def nearest_labels(queries: np.ndarray, references: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """The labels of each query's `k` nearest references in pixel space, nearest first.

    Args:
        queries: `(q, 28, 28)` float in [0, 1].
        references: `(n, 28, 28)` uint8 (0-255) or float in [0, 1].
        labels: `(n,)` labels of `references`.
        k: neighbours per query, at most `n`.

    Returns:
        `(q, k)` labels.

    Raises:
        ValueError: `k` is not in 1..n.
    """
    if not 1 <= k <= len(references):
        raise ValueError(f"k must be between 1 and {len(references)}, got {k}.")
    flat = references.reshape(len(references), -1).astype(np.float32)
    if references.dtype == np.uint8:
        flat /= np.float32(255.0)
    squared_norms = (flat**2).sum(axis=1)  # (n,)
    found = []
    for start in range(0, len(queries), QUERY_BATCH):
        batch = queries[start : start + QUERY_BATCH].reshape(-1, flat.shape[1]).astype(np.float32)  # (b, 784)
        # |q - r|^2 = |q|^2 - 2 q.r + |r|^2; |q|^2 is the same along a row, so it cannot change the order.
        distances = squared_norms[np.newaxis, :] - 2.0 * batch @ flat.T  # (b, n)
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]  # (b, k), unordered
        order = np.take_along_axis(distances, nearest, axis=1).argsort(axis=1)
        found.append(labels[np.take_along_axis(nearest, order, axis=1)])
    return np.concatenate(found) if found else np.empty((0, k), labels.dtype)


def neighbour_row(neighbours: np.ndarray, true: int, predicted: int) -> NeighbourRow:
    """Summarises the `(m, k)` neighbour labels of the `m` inputs of label `true` read as `predicted`."""
    return NeighbourRow(true, predicted, len(neighbours), float(np.mean(neighbours == true)),
                        float(np.mean(neighbours == predicted)))


def markdown_table(rows: Sequence[NeighbourRow], k: int) -> str:
    """One line per reading: how many inputs, and the share of their neighbours with each label."""
    lines = [f"| true | read as | inputs | of their {k} nearest MNIST digits, labelled true | labelled as read |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {row.true} | {row.predicted} | {row.count} | {row.share_true:.0%} | {row.share_predicted:.0%} |"
              for row in rows]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.mnist_neighbours", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a .keras file or a run folder (default: the active run, "
                        "else the shipped model)")
    parser.add_argument("--k", type=int, default=DEFAULT_NEIGHBOURS, help="neighbours per input (default 8)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Prints the table for the top pendigits mistakes and, for contrast, the digits read right."""
    args = build_parser().parse_args(argv)
    try:
        predict = load_predictor(model_file_to_use(args.model, default_runs_dir()))
        mnist = load_mnist(allow_download=False)
        digits = parse_pendigits(dev_data_file(PENDIGITS_FILE))
        labels = np.array([digit.label for digit in digits])
        inputs = prepare(pen_canvases(digits, DEFAULT_STROKE_WIDTH, DEFAULT_FILL), len(digits)).recipe
        predictions = predict(inputs).argmax(axis=1)
        neighbours = nearest_labels(inputs, mnist.x_train, mnist.y_train, args.k)  # (n, k)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Each mistake, then the same digit read right for contrast; dict.fromkeys drops repeats, keeping order.
    readings = dict.fromkeys(
        reading
        for confusion in top_confusions(labels, predictions)
        for reading in ((confusion["true"], confusion["predicted"]), (confusion["true"], confusion["true"]))
    )
    rows = [neighbour_row(neighbours[(labels == true) & (predictions == predicted)], true, predicted)
            for true, predicted in readings]
    print(f"MNIST training digits: {len(mnist.x_train):,} from {mnist.source} ({mnist.location})")
    print(markdown_table(rows, args.k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
