"""Stroke-font letters and symbols, the non-digits `bench.realworld` scores "not a digit" on.

Never used for training (that is `core.drawn_marks`), so the score says how a model meets marks it
has not seen. Hershey fonts draw with strokes, as a pen does.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.non_digits import CANVAS_SIDE, WHITE, as_model_inputs, blank_canvas

LETTERS = "ACEFHKMNPRTUVWXY"  # leaving out letters that are digits in disguise: B, D, G, I, L, O, Q, S, Z
SYMBOLS = "+=%&#@?!*x"
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)


def font_mark(character: str, font: int, thickness: int) -> np.ndarray:
    """One character, centred, a capital about 180 px tall, drawn with a round pen `thickness` px wide.

    The glyph is drawn one pixel thin and then widened: OpenCV 5 caps `putText`'s own thickness at a
    few pixels, thinner than any pen on the canvas.
    """
    canvas = blank_canvas()
    scale = 6.0
    (width, height), _ = cv2.getTextSize(character, font, scale, 1)
    origin = ((CANVAS_SIDE - width) // 2, (CANVAS_SIDE + height) // 2)
    cv2.putText(canvas, character, origin, font, scale, WHITE, 1, cv2.LINE_8)
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (thickness, thickness))
    return cv2.dilate(canvas, pen)


def font_mark_drawings(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Every letter and symbol in every font, named like `letter A` or `symbol %`, each with a random pen (10-24 px)."""
    rng = np.random.default_rng(seed)
    return [
        (f"{'letter' if character in LETTERS else 'symbol'} {character}", font_mark(character, font, int(rng.integers(10, 25))))
        for character in LETTERS + SYMBOLS
        for font in FONTS
    ]


def font_mark_inputs(seed: int = 0) -> np.ndarray:
    """The marks as the model sees them: (n, 28, 28) float32, those read as one mark."""
    return as_model_inputs(drawing for _, drawing in font_mark_drawings(seed))
