"""The non-digit drawings used to judge the "not sure" floor: varied, reproducible, ready for the model."""

from __future__ import annotations

import numpy as np

from core.non_digits import LETTERS, non_digit_drawings, non_digit_inputs


def test_every_kind_is_drawn_on_a_canvas_sized_image():
    drawings = non_digit_drawings(seed=0)
    kinds = {name.split()[0] for name, _ in drawings}
    assert kinds == {"letter", "triangle", "square", "star", "spiral", "hatch", "scribble"}
    assert {name.split()[1] for name, _ in drawings if name.startswith("letter")} == set(LETTERS)
    for name, image in drawings:
        assert image.shape == (280, 280) and image.dtype == np.uint8, name
        assert 0.01 < (image > 0).mean() < 0.7, name  # visible ink, not a filled canvas


def test_inputs_are_model_ready_and_reproducible():
    inputs = non_digit_inputs(seed=0)
    assert inputs.ndim == 3 and inputs.shape[1:] == (28, 28)
    assert len(inputs) >= 0.9 * len(non_digit_drawings(seed=0))  # almost all read as one mark
    assert inputs.min() >= 0 and inputs.max() <= 1
    np.testing.assert_array_equal(non_digit_inputs(seed=0), inputs)
    assert not np.array_equal(non_digit_inputs(seed=1), inputs)
