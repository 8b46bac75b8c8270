"""Tests for core.preprocessing: drawn digits in every guise must come out the way MNIST digits look."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.images import decode_image
from core.preprocessing import (
    NoInkError,
    PreprocessedDigit,
    border_level,
    centre_by_mass,
    composite_alpha,
    crop_to_ink,
    fit_to_box,
    ink_mask,
    normalise_polarity,
    place_in_frame,
    preprocess_digit,
    reject_lone_dot,
    remove_specks,
    stretch_to_full_range,
    suppress_background,
    to_grayscale,
)

STEP_NAMES = ("original", "grayscale", "thresholded", "cropped", "stroke width", "20px box", "centred 28x28")
MNIST_SAMPLE = Path(__file__).resolve().parents[2] / "core" / "assets" / "mnist_sample.npz"


def _draw(kind: str, size: int = 280, box: tuple[int, int, int, int] = (70, 50, 210, 230), thickness: int = 18) -> np.ndarray:
    """Draws a white anti-aliased digit on black inside box = (left, top, right, bottom).

    Returns:
        `(size, size)` uint8, ink 255 on background 0.
    """
    canvas = np.zeros((size, size), np.uint8)
    left, top, right, bottom = box
    if kind == "7":
        cv2.line(canvas, (left, top), (right, top), 255, thickness, cv2.LINE_AA)
        cv2.line(canvas, (right, top), (left + (right - left) // 3, bottom), 255, thickness, cv2.LINE_AA)
    elif kind == "1":
        cv2.line(canvas, ((left + right) // 2, top), ((left + right) // 2, bottom), 255, thickness, cv2.LINE_AA)
    elif kind == "0":
        centre = ((left + right) // 2, (top + bottom) // 2)
        axes = ((right - left) // 2, (bottom - top) // 2)
        cv2.ellipse(canvas, centre, axes, 0, 0, 360, 255, thickness, cv2.LINE_AA)
    else:
        raise ValueError(kind)
    return canvas


def _rgba(rgb_value: int, alpha: np.ndarray, background_rgb: int = 0) -> np.ndarray:
    """An RGBA image of one colour whose opacity is `alpha`; transparent pixels hold `background_rgb`."""
    image = np.empty(alpha.shape + (4,), np.uint8)  # (H, W, 4) uint8
    image[..., :3] = np.where(alpha[..., None] > 0, rgb_value, background_rgb)
    image[..., 3] = alpha
    return image


def _ink_box_side(model_input: np.ndarray) -> int:
    rows, columns = np.nonzero(model_input > 0)
    return max(rows.max() - rows.min() + 1, columns.max() - columns.min() + 1)


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """Slow, obviously correct intensity centre of mass as (row, column)."""
    rows, columns = np.indices(image.shape)
    total = image.astype(np.float64).sum()
    return float((rows * image).sum() / total), float((columns * image).sum() / total)


def _assert_mnist_like(result: PreprocessedDigit) -> None:
    model_input = result.model_input
    assert model_input.shape == (28, 28) and model_input.dtype == np.float32
    assert model_input.min() >= 0.0 and model_input.max() <= 1.0
    assert model_input.max() == 1.0  # every MNIST digit peaks at full white, even fine-pen ones
    assert abs(_ink_box_side(model_input) - 20) <= 1
    row, column = _centre_of_mass(model_input)
    assert abs(row - 14) <= 1 and abs(column - 14) <= 1


def _noisy_photo(ink: np.ndarray, paper: int = 200, ink_level: int = 40, seed: int = 0) -> np.ndarray:
    """Dark ink on light, grainy paper, as RGB after a JPEG round trip: a phone photo in miniature."""
    rng = np.random.default_rng(seed)
    grey = paper - (ink.astype(np.float32) / 255) * (paper - ink_level) + rng.normal(0, 6, ink.shape)
    rgb = np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    ok, encoded = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)  # (H, W, 3) uint8, grey so BGR == RGB


# ----------------------------------------------------------------------------- whole pipeline


DIGIT_CASES = {
    "canvas-centred-7": lambda: _rgba(255, _draw("7")) | np.array([0, 0, 0, 255], np.uint8),
    "off-centre-7": lambda: _draw("7", box=(175, 180, 265, 270), thickness=10),
    "tiny-7": lambda: _draw("7", box=(30, 200, 38, 212), thickness=2),
    "huge-0-touching-edges": lambda: _draw("0", box=(0, 0, 279, 279), thickness=30),
    "1-touching-top-edge": lambda: _draw("1", box=(100, 0, 140, 190), thickness=20),
    "thick-0": lambda: _draw("0", thickness=45),
    "thin-7": lambda: _draw("7", thickness=1),
    "inverted-7": lambda: 255 - _draw("7"),
    "white-on-transparent-canvas": lambda: _rgba(255, _draw("7")),
    "black-on-transparent": lambda: _rgba(0, _draw("0")),
    "black-on-transparent-white-rgb": lambda: _rgba(0, _draw("0"), background_rgb=255),
    "photo-dark-on-paper": lambda: _noisy_photo(_draw("7", size=400, box=(90, 60, 300, 330), thickness=22)),
    "large-photo": lambda: _noisy_photo(
        cv2.resize(_draw("1", box=(60, 40, 220, 240)), (2400, 1800), interpolation=cv2.INTER_LINEAR)
    ),
    "mnist-sized-input": lambda: cv2.resize(_draw("0"), (28, 28), interpolation=cv2.INTER_AREA),
}


@pytest.mark.parametrize("case", DIGIT_CASES)
def test_digit_comes_out_mnist_shaped(case: str) -> None:
    result = preprocess_digit(DIGIT_CASES[case]())
    _assert_mnist_like(result)


def test_steps_are_named_and_displayable() -> None:
    canvas = _rgba(255, _draw("7"))
    result = preprocess_digit(canvas)

    assert tuple(step.name for step in result.steps) == STEP_NAMES
    assert result.steps[0].image is canvas
    for step in result.steps:
        assert step.image.dtype == np.uint8
        assert step.image.ndim == 2 or step.image.shape[2] in (3, 4)
    assert result.steps[-1].image.shape == (28, 28)
    assert max(next(step for step in result.steps if step.name == "20px box").image.shape) == 20
    np.testing.assert_allclose(result.model_input * 255, result.steps[-1].image, atol=1e-3)


def test_result_is_frozen() -> None:
    result = preprocess_digit(_draw("1"))
    with pytest.raises(AttributeError):
        result.model_input = np.zeros((28, 28), np.float32)  # type: ignore[misc]


def test_ink_keeps_grey_levels() -> None:
    model_input = preprocess_digit(_draw("0")).model_input
    grey = (model_input > 0.05) & (model_input < 0.95)
    assert grey.sum() >= 10  # anti-aliased rim, like MNIST, not a binary mask
    assert (model_input > 0.95).sum() >= 10


@pytest.mark.parametrize(
    "variant",
    [
        lambda ink: 255 - ink,  # dark on light
        lambda ink: np.repeat(ink[..., None], 3, axis=2),  # RGB
        lambda ink: _rgba(255, ink),  # white strokes on transparent pixels
        lambda ink: _rgba(0, ink),  # black ink on transparent pixels
        lambda ink: _rgba(0, ink, background_rgb=255),
        lambda ink: np.dstack([ink, ink, ink, np.full_like(ink, 255)]),  # opaque canvas
    ],
    ids=["inverted", "rgb", "white-on-transparent", "black-on-transparent", "black-on-white-transparent", "opaque-rgba"],
)
def test_every_encoding_of_the_same_drawing_gives_the_same_input(variant) -> None:
    ink = _draw("7")
    reference = preprocess_digit(ink).model_input
    np.testing.assert_array_equal(preprocess_digit(variant(ink)).model_input, reference)


def test_position_on_the_canvas_does_not_matter() -> None:
    here = preprocess_digit(_draw("7", box=(20, 20, 120, 140), thickness=12)).model_input
    there = preprocess_digit(_draw("7", box=(150, 130, 250, 250), thickness=12)).model_input
    np.testing.assert_array_equal(here, there)


def test_small_speck_next_to_the_digit_is_ignored() -> None:
    clean = _draw("1", box=(100, 40, 140, 240))
    specked = clean.copy()
    specked[130:133, 175:178] = 255  # a 3x3 speck 45 px to the right of the stroke

    clean_result, specked_result = preprocess_digit(clean), preprocess_digit(specked)

    assert specked_result.steps[3].image.shape == clean_result.steps[3].image.shape
    np.testing.assert_allclose(specked_result.model_input, clean_result.model_input, atol=2 / 255)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280, 4), np.uint8),  # blank canvas, fully transparent
        np.dstack([np.zeros((280, 280, 3), np.uint8), np.full((280, 280), 255, np.uint8)]),  # all-black canvas
        np.full((300, 200, 3), 255, np.uint8),  # all-white paper
        np.full((50, 50), 128, np.uint8),  # uniform grey
        np.clip(np.random.default_rng(5).normal(200, 4, (240, 320)), 0, 255).astype(np.uint8),  # grainy paper
        np.full((1, 1), 255, np.uint8),  # a single pixel
        _rgba(255, np.zeros((280, 280), np.uint8), background_rgb=255),  # white but transparent everywhere
    ],
    ids=["transparent", "all-black-canvas", "all-white-paper", "uniform-grey", "grainy-paper", "one-pixel", "white-rgb-alpha-0"],
)
def test_images_without_ink_raise_no_ink_error(image: np.ndarray) -> None:
    with pytest.raises(NoInkError, match="No digit"):
        preprocess_digit(image)


def test_lone_speck_is_not_a_digit() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100:102, 100:102] = 255
    with pytest.raises(NoInkError):
        preprocess_digit(canvas)


def test_a_line_across_the_picture_does_not_make_a_thin_one_a_speck() -> None:
    mask = np.zeros((300, 200), np.uint8)
    mask[:, 190:194] = 255  # the page's edge, 1,200 px: 5% of it is 60
    mask[100:125, 50:52] = 255  # a thin 1 of 50 px
    mask[200, 100] = 255  # a speck, under 5% of the 1
    kept = remove_specks(mask)
    assert kept[100:125, 50:52].all() and not kept[200, 100]
    assert kept[:, 190:194].all()  # the line itself is left to segmentation


def test_remove_specks_refuses_noise_with_a_specific_message() -> None:
    noise = np.where(np.random.default_rng(2).random((64, 64)) > 0.7, 255, 0).astype(np.uint8)
    with pytest.raises(NoInkError, match="speckled all over"):
        remove_specks(noise)
    pieces = np.zeros((60, 200), np.uint8)
    for left in range(0, 200, 20):  # ten broken digits of three strokes each: a long number, kept
        pieces[10:50, left + 2 : left + 5] = pieces[10:20, left + 8 : left + 11] = pieces[30:50, left + 8 : left + 11] = 255
    assert (remove_specks(pieces) > 0).sum() == (pieces > 0).sum()


def _canvas_with(draw) -> np.ndarray:
    canvas = np.zeros((280, 280, 4), np.uint8)  # the canvas' export: RGBA, opaque black background
    canvas[..., 3] = 255
    draw(canvas)
    return canvas


@pytest.mark.parametrize("pen_width", [5, 18, 40])
def test_a_click_on_the_canvas_is_a_dot_not_a_digit(pen_width: int) -> None:
    dot = _canvas_with(lambda canvas: cv2.circle(canvas, (140, 140), pen_width // 2, (255, 255, 255, 255), -1))
    with pytest.raises(NoInkError, match="dot"):
        reject_lone_dot(dot, pen_width)


@pytest.mark.parametrize("pen_width", [5, 18, 40])
def test_a_small_digit_drawn_with_a_thick_pen_is_not_a_dot(pen_width: int) -> None:
    # A 1 only twice the pen's width tall, and an empty canvas (handled as "draw something" elsewhere).
    one = _canvas_with(lambda canvas: cv2.line(canvas, (140, 140 - pen_width // 2), (140, 140 + pen_width // 2), (255, 255, 255, 255), pen_width))
    reject_lone_dot(one, pen_width)
    reject_lone_dot(_canvas_with(lambda canvas: None), pen_width)


def test_no_ink_error_is_a_value_error() -> None:
    assert issubclass(NoInkError, ValueError)


def test_read_only_and_strided_arrays_are_accepted() -> None:
    canvas = _rgba(255, _draw("7", size=560, box=(140, 100, 420, 460), thickness=36))
    canvas.flags.writeable = False  # what `np.asarray(PIL image)` gives, as the canvas widget returns
    _assert_mnist_like(preprocess_digit(canvas))
    _assert_mnist_like(preprocess_digit(canvas[::2, ::2]))  # a strided view, not contiguous


def test_decoded_png_upload_preprocesses() -> None:
    buffer = io.BytesIO()
    Image.fromarray(_rgba(0, _draw("0")), "RGBA").save(buffer, "PNG")
    _assert_mnist_like(preprocess_digit(decode_image(buffer.getvalue())))


@pytest.mark.skipif(not MNIST_SAMPLE.exists(), reason="MNIST sample asset not present")
def test_mnist_digits_are_a_fixed_point_and_survive_enlargement() -> None:
    digits = np.load(MNIST_SAMPLE)["x_test"][:100]  # (100, 28, 28) uint8
    unchanged, correlations = [], []
    for digit in digits:
        unchanged.append(np.abs(preprocess_digit(digit).model_input * 255 - digit).mean())
        enlarged = cv2.resize(digit, (280, 280), interpolation=cv2.INTER_LINEAR)
        output = preprocess_digit(enlarged).model_input
        correlations.append(np.corrcoef(output.ravel(), digit.ravel())[0, 1])
    # MNIST digits already follow the recipe, so the pipeline should leave them (almost) alone...
    assert np.mean(unchanged) < 1.0
    # ...and a 10x enlargement should come back to nearly the same 28x28 picture.
    assert np.mean(correlations) > 0.9


# ----------------------------------------------------------------------------- helpers, one at a time


def test_composite_alpha_matches_the_float_formula() -> None:
    rng = np.random.default_rng(2)
    gray = rng.integers(0, 256, (20, 20), dtype=np.uint8)
    alpha = rng.integers(0, 256, (20, 20), dtype=np.uint8)
    gray[:10], alpha[:10] = 250, 255  # mostly light opaque pixels: flatten onto black
    expected = np.rint(gray * (alpha / 255.0))
    np.testing.assert_allclose(composite_alpha(gray, alpha), expected, atol=1)


def test_composite_alpha_puts_dark_ink_on_white() -> None:
    gray = np.zeros((4, 4), np.uint8)
    alpha = np.zeros((4, 4), np.uint8)
    alpha[1, 1] = 255
    flattened = composite_alpha(gray, alpha)
    assert flattened[1, 1] == 0 and flattened[0, 0] == 255


def test_to_grayscale_uses_luminance_weights() -> None:
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[0, 0, 0], rgb[0, 1, 1], rgb[0, 2, 2] = 255, 255, 255  # pure red, green, blue
    np.testing.assert_allclose(to_grayscale(rgb)[0], [0.299 * 255, 0.587 * 255, 0.114 * 255], atol=1)


def test_border_level_ignores_a_digit_touching_one_edge() -> None:
    paper = np.full((100, 100), 220, np.uint8)
    paper[:, :15] = 10  # a thick stroke along the whole left edge
    assert border_level(paper) == 220


@pytest.mark.parametrize("touching", [False, True])
def test_normalise_polarity_makes_ink_bright(touching: bool) -> None:
    ink = _draw("1", box=(40, 0 if touching else 30, 60, 99 if touching else 70), size=100, thickness=8)
    np.testing.assert_array_equal(normalise_polarity(255 - ink), ink)
    np.testing.assert_array_equal(normalise_polarity(ink), ink)


@pytest.mark.parametrize("shade", ["cast shadow", "strip of table"])
def test_normalise_polarity_finds_dark_ink_when_the_border_is_mostly_shade(shade: str) -> None:
    ink = _draw("7", box=(60, 30, 140, 170), size=200, thickness=10)  # (200, 200) uint8, 255 on ink
    paper = np.full(ink.shape, 230, np.uint8)
    if shade == "cast shadow":
        paper[:, :130] = 110  # most of the border lies in the shadow, level between ink and paper
    else:
        paper[:12], paper[-12:] = 80, 80  # a long picture's table above and below the sheet
    photo = np.where(ink > 0, paper // 6, paper).astype(np.uint8)  # ink darker than the paper round it

    bright = normalise_polarity(photo)

    assert bright[ink > 0].mean() > bright[(ink == 0) & (paper == 230)].mean() + 100


def test_ink_mask_finds_a_small_digit_on_a_large_noisy_page() -> None:
    # 0.1% ink on grainy background: Otsu alone would split the grain.
    rng = np.random.default_rng(4)
    page = np.clip(rng.normal(30, 8, (600, 600)), 0, 255).astype(np.uint8)
    page[300:318, 280:284] = 230  # an 18 px "1"

    mask = ink_mask(page)

    ys, xs = np.nonzero(mask)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == pytest.approx((300, 317, 280, 283), abs=1)


def test_ink_mask_leaves_out_the_grid_under_a_single_digit_on_grid_paper() -> None:
    # Squared paper, its lines grey, one thin 4: Otsu splits the paper from its grid, and the mask was
    # one lattice round the digit (read as an 8).
    page = np.full((240, 260), 22, np.uint8)
    for offset in (10, 11):  # lines 2 px wide every 24 px
        page[offset::24, :] = 90
        page[:, offset::24] = 90
    cv2.putText(page, "4", (105, 150), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 220, 4, cv2.LINE_AA)

    mask = ink_mask(page)

    ys, xs = np.nonzero(mask)
    assert xs.min() > 95 and xs.max() < 170 and ys.min() > 95 and ys.max() < 160  # the 4 alone


def test_remove_specks_keeps_only_big_blobs() -> None:
    mask = np.zeros((60, 60), np.uint8)
    mask[10:40, 10:20] = 255  # the digit: 300 px
    mask[50:52, 50:52] = 255  # a speck: 4 px
    mask[5:15, 40:45] = 255  # a second stroke: 50 px, kept
    cleaned = remove_specks(mask)
    assert cleaned[51, 51] == 0
    assert cleaned[20, 15] == 255 and cleaned[10, 42] == 255
    assert (cleaned > 0).sum() == 350


def test_suppress_background_zeroes_the_background_and_stretches_ink() -> None:
    bright = np.full((40, 40), 60, np.uint8)  # inverted grey paper
    bright[10:30, 18:22] = 180  # faint ink
    bright[10:30, 17] = 120  # anti-aliased edge
    mask = np.zeros_like(bright)
    mask[10:30, 18:22] = 255

    result = suppress_background(bright, mask)

    assert result[0, 0] == 0 and result[35, 35] == 0
    assert result[20, 20] == 255  # the ink's typical level becomes full white
    assert 0 < result[20, 17] < 255  # the rim keeps a grey level


def test_crop_to_ink_returns_the_bounding_box() -> None:
    image = np.zeros((50, 40), np.uint8)
    image[5, 7] = 1
    image[30, 25] = 200
    cropped = crop_to_ink(image)
    assert cropped.shape == (26, 19)
    assert cropped[0, 0] == 1 and cropped[-1, -1] == 200
    with pytest.raises(NoInkError):
        crop_to_ink(np.zeros((5, 5), np.uint8))


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((100, 50), (20, 10)), ((50, 100), (10, 20)), ((7, 3), (20, 9)), ((300, 2), (20, 1)), ((20, 20), (20, 20))],
)
def test_fit_to_box_scales_the_longest_side_to_20(shape: tuple[int, int], expected: tuple[int, int]) -> None:
    image = np.full(shape, 255, np.uint8)
    boxed = fit_to_box(image)
    assert boxed.shape == expected
    assert boxed.min() > 0  # a solid block stays solid: no zero padding crept in


def test_stretch_to_full_range_lifts_the_peak_to_255() -> None:
    faint = np.array([[0, 20, 40], [60, 0, 10]], np.uint8)
    np.testing.assert_array_equal(stretch_to_full_range(faint), np.rint(faint * (255 / 60)))
    np.testing.assert_array_equal(stretch_to_full_range(np.zeros((2, 2), np.uint8)), 0)


def test_place_in_frame_centres_the_box() -> None:
    frame = place_in_frame(np.full((20, 10), 7, np.uint8))
    assert frame.shape == (28, 28)
    ys, xs = np.nonzero(frame)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (4, 23, 9, 18)
    with pytest.raises(ValueError):
        place_in_frame(np.ones((29, 5), np.uint8))


def test_centre_by_mass_matches_a_slow_shift() -> None:
    rng = np.random.default_rng(8)
    for _ in range(50):
        frame = np.zeros((28, 28), np.uint8)
        top, left = rng.integers(6, 14, size=2)
        frame[top : top + 8, left : left + 8] = rng.integers(1, 256, (8, 8), dtype=np.uint8)
        row, column = _centre_of_mass(frame)
        shift_rows, shift_columns = round(14 - row), round(14 - column)
        expected = np.zeros_like(frame)
        for y, x in zip(*np.nonzero(frame)):
            expected[y + shift_rows, x + shift_columns] = frame[y, x]

        centred = centre_by_mass(frame)

        np.testing.assert_array_equal(centred, expected)
        new_row, new_column = _centre_of_mass(centred)
        assert abs(new_row - 14) <= 0.5 and abs(new_column - 14) <= 0.5


def test_centre_by_mass_never_wraps_or_cuts_ink() -> None:
    frame = np.zeros((28, 28), np.uint8)
    frame[4, 4:24] = 255  # heavy top bar...
    frame[5:24, 4] = 10  # ...and a faint long stroke: the centre of mass sits at row 4.4, column 13.2
    centred = centre_by_mass(frame)
    # Reaching row 14 would need 10 rows down, but only 4 fit before the stroke leaves the frame.
    expected = np.zeros_like(frame)
    expected[8:28, 5:25] = frame[4:24, 4:24]
    np.testing.assert_array_equal(centred, expected)


def _ring(size: int, thickness: int) -> np.ndarray:
    """A white ring ("0") of the given outer size and pen width, on a black 280x280 canvas."""
    canvas = np.zeros((280, 280), np.uint8)
    radius = (size - thickness) // 2
    cv2.circle(canvas, (140, 140), radius, 255, thickness, lineType=cv2.LINE_AA)
    return canvas


@pytest.mark.parametrize("size, thickness", [(84, 26), (100, 30), (240, 4), (200, 5)])
def test_stroke_width_is_brought_into_mnist_range(size: int, thickness: int) -> None:
    from core.preprocessing import STROKE_RANGE, normalise_stroke_width, stroke_width

    cropped = crop_to_ink(_ring(size, thickness))
    before = stroke_width(cropped >= 128) / max(cropped.shape)
    assert not STROKE_RANGE[0] <= before <= STROKE_RANGE[1], "the case must start outside the range"
    after_image = crop_to_ink(normalise_stroke_width(cropped))
    after = stroke_width(after_image >= 128) / max(after_image.shape)
    assert STROKE_RANGE[0] <= after <= STROKE_RANGE[1]


def test_stroke_width_estimate_matches_a_drawn_bar() -> None:
    from core.preprocessing import stroke_width

    bar = np.zeros((300, 100), np.uint8)
    bar[20:280, 40:60] = 255  # a 20 px wide, 260 px long stroke
    assert stroke_width(bar > 0) == pytest.approx(20, rel=0.1)


def test_a_digit_far_taller_than_mnists_is_widened_unless_it_is_one_stroke() -> None:
    from core.preprocessing import MAX_ASPECT, widen_slender_digit

    lollipop = np.zeros((120, 26), np.uint8)  # a 9: a small loop on a long tail
    cv2.circle(lollipop, (12, 12), 10, 255, 3, cv2.LINE_AA)
    cv2.line(lollipop, (22, 12), (22, 119), 255, 3, cv2.LINE_AA)
    stroke = np.zeros((120, 12), np.uint8)  # a 1 written with a broad pen
    stroke[:, 2:10] = 255
    squat = np.zeros((60, 40), np.uint8)
    cv2.circle(squat, (20, 30), 15, 255, 3, cv2.LINE_AA)

    assert widen_slender_digit(lollipop).shape == (120, round(120 / MAX_ASPECT))
    assert widen_slender_digit(stroke) is stroke
    assert widen_slender_digit(squat) is squat


def test_a_thick_small_ring_keeps_its_hole() -> None:
    model_input = preprocess_digit(_ring(84, 26)).model_input
    assert model_input[14, 14] < 0.2, "thinning must reopen the loop a fat pen had nearly closed"
