"""How tall and narrow MNIST's digits are, class by class: where `core.preprocessing.MAX_ASPECT` and
`SLENDER_MIN_STROKES` come from.

Run `python -m bench.mnist_proportions` with `$DIGIT_LAB_MNIST` naming the full set. For each training
digit it measures the height over the width of its ink (pixels at 128 or more) and that width in stroke
widths (`core.preprocessing.stroke_width`), and prints per class the median and 99th percentile of the
proportion and the share of digits beyond `MAX_ASPECT`, all of them and those at least
`SLENDER_MIN_STROKES` strokes wide: the digits `widen_slender_digit` would widen.
"""

from __future__ import annotations

import numpy as np

from core.data import load_mnist
from core.preprocessing import MAX_ASPECT, SLENDER_MIN_STROKES, stroke_width


def proportions(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(n,)` height over width of each digit's ink, and `(n,)` that width in stroke widths."""
    aspects, widths_in_strokes = np.zeros(len(images)), np.zeros(len(images))
    for index, image in enumerate(images):
        ink = image >= 128
        rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        height, width = rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1
        aspects[index] = height / width
        widths_in_strokes[index] = width / max(stroke_width(ink), 1e-6)
    return aspects, widths_in_strokes


def main() -> None:
    mnist = load_mnist()
    print(f"MNIST training digits from {mnist.location}")
    aspects, widths_in_strokes = proportions(mnist.x_train)
    print(f"| class | median height/width | 99th percentile | above {MAX_ASPECT} | and {SLENDER_MIN_STROKES}+ strokes wide |")
    print("|---|---:|---:|---:|---:|")
    for digit in range(10):
        aspect, wide = aspects[mnist.y_train == digit], widths_in_strokes[mnist.y_train == digit]
        tall = aspect > MAX_ASPECT
        print(
            f"| {digit} | {np.median(aspect):.2f} | {np.percentile(aspect, 99):.2f} | {tall.mean():.2%} "
            f"| {(tall & (wide >= SLENDER_MIN_STROKES)).mean():.2%} |"
        )


if __name__ == "__main__":
    main()
