"""The non-digits: drawn marks to train on, font marks to score on; varied, reproducible, ready for the model."""

from __future__ import annotations

import numpy as np

from core.drawn_marks import GRID_STROKES, KINDS, SHAPES, SHAPES_AND_GRID_STROKES, drawn_mark_drawings, drawn_mark_images
from core.font_marks import LETTERS, SYMBOLS, font_mark_drawings, font_mark_inputs


def _assert_canvas_drawings(drawings: list[tuple[str, np.ndarray]]) -> None:
    for name, image in drawings:
        assert image.shape == (280, 280) and image.dtype == np.uint8, name
        assert 0.01 < (image > 0).mean() < 0.7, name  # visible ink, not a filled canvas


def test_every_letter_and_symbol_is_drawn_on_a_canvas_sized_image():
    drawings = font_mark_drawings(seed=0)
    assert {name.split()[1] for name, _ in drawings if name.startswith("letter ")} == set(LETTERS)
    assert {name.split()[1] for name, _ in drawings if name.startswith("symbol ")} == set(SYMBOLS)
    assert not set(LETTERS + SYMBOLS) & set("0123456789")
    _assert_canvas_drawings(drawings)


def test_font_mark_inputs_are_model_ready_and_reproducible():
    inputs = font_mark_inputs(seed=0)
    assert inputs.ndim == 3 and inputs.shape[1:] == (28, 28)
    assert len(inputs) >= 0.9 * len(font_mark_drawings(seed=0))  # almost all read as one mark
    assert inputs.min() >= 0 and inputs.max() <= 1
    np.testing.assert_array_equal(font_mark_inputs(seed=0), inputs)
    assert not np.array_equal(font_mark_inputs(seed=1), inputs)


def test_every_kind_of_drawn_mark_is_drawn_on_a_canvas_sized_image():
    drawings = drawn_mark_drawings(3 * len(KINDS), seed=0, kinds=KINDS)
    assert {name for name, _ in drawings} == set(KINDS)
    _assert_canvas_drawings(drawings)


def test_the_fitted_output_s_marks_are_grid_strokes_every_other_time_and_the_shapes_alone_by_default():
    kinds = [name for name, _ in drawn_mark_drawings(2 * len(SHAPES), seed=0, kinds=SHAPES_AND_GRID_STROKES)]
    assert kinds[1::2] == [GRID_STROKES] * len(SHAPES)
    assert kinds[::2] == list(SHAPES)
    assert [name for name, _ in drawn_mark_drawings(len(SHAPES), seed=0)] == list(SHAPES)


def test_grid_strokes_are_a_capital_letter_s_size_and_differ_from_mark_to_mark():
    grids = [image for _, image in drawn_mark_drawings(20, seed=3, kinds=[GRID_STROKES])]
    heights = np.array([np.ptp(np.flatnonzero(image.max(axis=1))) for image in grids])
    assert heights.max() <= 260  # the grid's rows are 150-200 px apart, plus jitter and pen
    assert np.mean(heights >= 120) >= 0.75  # most marks reach from the top row to the bottom one
    assert len({image.tobytes() for image in grids}) == len(grids)


def test_drawn_marks_are_stored_like_mnist_and_reproducible():
    images = drawn_mark_images(40, seed=0)
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
    assert 0.9 * 40 <= len(images) <= 40  # a mark that falls apart into pieces is left out
    assert images.max() == 255
    np.testing.assert_array_equal(drawn_mark_images(40, seed=0), images)
    assert not np.array_equal(drawn_mark_images(40, seed=1)[:10], images[:10])
