"""Tests for core.uji: the shipped UJI strokes, the writer split, the per-epoch drawings and their weight."""

from __future__ import annotations

import numpy as np
import pytest

from core.mnist_format import IMAGE_SIDE
from core.preprocessing import BOX_SIZE, CENTRE, preprocess_digit
from core.uji import (
    MEASURING_WRITERS,
    TRAINING_WRITERS,
    UJI_ASSET,
    UJI_SHARE,
    UjiEpochs,
    load_uji_digits,
    measuring_digits,
    pack_digits,
    parse_uji_json,
    render_for_training,
    slanted,
    training_canvas,
    training_digits,
    unpack_digits,
    uji_weight,
)

MAX_ASSET_BYTES = 500_000


@pytest.fixture(scope="module")
def every_digit():
    return load_uji_digits(range(1, 61))


def test_the_asset_is_small_and_holds_every_writer_twice_per_digit(every_digit):
    assert UJI_ASSET.stat().st_size < MAX_ASSET_BYTES
    assert len(every_digit) == 1200
    pairs, counts = np.unique([(digit.writer, digit.label) for digit in every_digit], axis=0, return_counts=True)
    assert len(pairs) == 60 * 10 and set(counts) == {2}  # every writer wrote every digit twice
    for digit in every_digit:
        assert digit.strokes and all(stroke.ndim == 2 and stroke.shape[1] == 2 and len(stroke) for stroke in digit.strokes)
        assert np.concatenate(digit.strokes).min(axis=0).tolist() == [0, 0]


def test_training_and_measuring_writers_are_disjoint_and_split_by_writer():
    training, measuring = training_digits(), measuring_digits()
    assert len(training) == 800 and len(measuring) == 400
    assert {digit.writer for digit in training} == set(TRAINING_WRITERS) == set(range(1, 41))
    assert {digit.writer for digit in measuring} == set(MEASURING_WRITERS) == set(range(41, 61))
    assert not {digit.writer for digit in training} & {digit.writer for digit in measuring}


def test_parse_numbers_writers_two_samples_each_and_packing_round_trips():
    stroke = [[10, 20], [30, 40]]
    document = {"rawData": {"7": [[stroke], [stroke, [[5, 5]]], [stroke], [stroke]], "1": [[stroke]]}}
    digits = parse_uji_json(document)
    assert [(digit.label, digit.writer) for digit in digits] == [(1, 1), (7, 1), (7, 1), (7, 2), (7, 2)]
    restored = unpack_digits(pack_digits(digits))
    assert [(digit.label, digit.writer, len(digit.strokes)) for digit in restored] == \
        [(digit.label, digit.writer, len(digit.strokes)) for digit in digits]
    # Moved so the digit starts at 0, otherwise the same points: the tap of the second 7 keeps its place.
    assert restored[2].strokes[0].tolist() == [[5, 15], [25, 35]] and restored[2].strokes[1].tolist() == [[0, 0]]


@pytest.mark.parametrize("document", [{"rawData": {"A": [[[[1, 2]]]]}}, {"rawData": {"3": [[]]}}])
def test_parse_refuses_non_digits_and_empty_samples(document):
    with pytest.raises(ValueError):
        parse_uji_json(document)


def test_slant_moves_the_top_sideways_and_keeps_the_bottom():
    bar = (np.array([[0, 0], [0, 100]]),)  # from the top (y 0) down to the bottom (y 100)
    assert slanted(bar, 0.2)[0].tolist() == [[20.0, 0.0], [0.0, 100.0]]


def test_drawings_vary_every_epoch_repeat_for_a_seed_and_are_in_mnist_format(every_digit):
    digits = every_digit[::60]  # 20 digits, every label
    epochs = UjiEpochs(mnist_count=1000, seed=3, digits=digits)
    first, second = epochs.render(), epochs.render()
    assert first.shape == (20, IMAGE_SIDE, IMAGE_SIDE) and first.dtype == np.uint8
    assert all(not np.array_equal(a, b) for a, b in zip(first, second))  # a new pen, size, slant each epoch
    np.testing.assert_array_equal(first, UjiEpochs(mnist_count=1000, seed=3, digits=digits).render())
    for image in first:
        rows, columns = np.nonzero(image)
        assert max(rows.max() - rows.min(), columns.max() - columns.min()) + 1 <= BOX_SIZE
        mass = image.astype(float) / image.sum()
        centre = ((mass.sum(axis=1) * np.arange(IMAGE_SIDE)).sum(), (mass.sum(axis=0) * np.arange(IMAGE_SIDE)).sum())
        assert abs(centre[0] - CENTRE) <= 1 and abs(centre[1] - CENTRE) <= 1
        assert image.max() == 255


def test_the_drawings_of_several_epochs_made_up_front_are_the_epochs_drawn_one_by_one(every_digit):
    digits = every_digit[::120]  # 10 digits
    up_front = UjiEpochs(mnist_count=1000, seed=4, digits=digits).drawings(3)
    one_by_one = UjiEpochs(mnist_count=1000, seed=4, digits=digits)
    assert up_front.shape == (3, 10, IMAGE_SIDE, IMAGE_SIDE) and up_front.dtype == np.uint8
    np.testing.assert_array_equal(up_front, np.stack([one_by_one.render() for _ in range(3)]))


def test_a_training_drawing_is_what_the_predict_page_would_make_of_that_canvas(every_digit):
    rng = np.random.default_rng(0)
    for digit in every_digit[::150]:
        state = rng.bit_generator.state
        canvas = training_canvas(digit, rng)
        rng.bit_generator.state = state
        rgba = np.dstack([canvas, canvas, canvas, np.full_like(canvas, 255)])  # as the canvas exports it
        expected = np.round(preprocess_digit(rgba).model_input * 255).astype(np.uint8)
        np.testing.assert_array_equal(render_for_training(digit, rng), expected)


def test_the_weight_makes_all_uji_digits_count_as_their_share_of_mnist():
    assert uji_weight(54_000, 800) == pytest.approx(8.1)
    assert uji_weight(54_000, 800) * 800 == pytest.approx(UJI_SHARE * 54_000)
    epochs = UjiEpochs(mnist_count=4_500, seed=0, digits=training_digits()[:10])
    assert len(epochs) == 10
    np.testing.assert_allclose(epochs.weight, UJI_SHARE * 4_500 / 10)
    assert epochs.labels.tolist() == [digit.label for digit in training_digits()[:10]]
    lighter = UjiEpochs(mnist_count=4_500, seed=0, digits=training_digits()[:10], share=0.05)
    assert lighter.weight == pytest.approx(0.05 * 4_500 / 10)
