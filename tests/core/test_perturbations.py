"""Every perturbation's exact geometry: where each pixel goes, and what it becomes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.perturbations import (
    CENTRE,
    Perturbation,
    add_noise,
    blur,
    centred_corner,
    occlude,
    perturb,
    set_contrast,
    thicken,
    warp,
)

SIDE = 28


def _dot(row: int, column: int) -> np.ndarray:
    image = np.zeros((SIDE, SIDE), np.float32)
    image[row, column] = 1.0
    return image


def _random_image() -> np.ndarray:
    return np.random.default_rng(0).random((SIDE, SIDE)).astype(np.float32)


def test_quarter_turn_is_numpys_counter_clockwise_rotation():
    image = _random_image()
    np.testing.assert_allclose(warp(image, rotation_deg=90), np.rot90(image), atol=1e-6)
    np.testing.assert_allclose(warp(image, rotation_deg=-90), np.rot90(image, k=-1), atol=1e-6)


def test_whole_pixel_shift_moves_every_pixel_and_fills_with_black():
    image = _random_image()
    shifted = warp(image, shift_x=3, shift_y=-2)  # 3 right, 2 up
    np.testing.assert_allclose(shifted[: SIDE - 2, 3:], image[2:, : SIDE - 3], atol=1e-6)
    assert not shifted[:, :3].any() and not shifted[SIDE - 2 :, :].any()


@pytest.mark.parametrize(("rotation", "scale", "shift"), [(30.0, 1.0, (0, 0)), (0.0, 1.5, (0, 0)), (-20.0, 0.8, (1.5, -2.0))])
def test_warp_sends_each_point_where_the_geometry_says(rotation, scale, shift):
    """On a linear ramp, bilinear sampling is exact, so each output pixel shows the ramp at its source point:
    the point that, turned counter-clockwise (as seen) by `rotation` about the centre, scaled by `scale` and
    shifted, lands on it."""
    rows, columns = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    ramp = (0.1 + 0.02 * columns + 0.01 * rows).astype(np.float32)
    out = warp(ramp, rotation, scale, *shift)
    theta = np.radians(rotation)
    dx, dy = (columns - shift[0] - CENTRE) / scale, (rows - shift[1] - CENTRE) / scale
    # Undo a counter-clockwise turn on a screen whose y axis points down.
    source_x = CENTRE + dx * np.cos(theta) - dy * np.sin(theta)
    source_y = CENTRE + dx * np.sin(theta) + dy * np.cos(theta)
    inside = (source_x >= 0) & (source_x <= SIDE - 1) & (source_y >= 0) & (source_y <= SIDE - 1)
    expected = 0.1 + 0.02 * source_x + 0.01 * source_y
    assert inside.sum() > 300
    np.testing.assert_allclose(out[inside], expected[inside], atol=1e-5)
    assert not out[~inside & ((source_x < -1) | (source_x > SIDE) | (source_y < -1) | (source_y > SIDE))].any()


def test_warp_rejects_a_non_positive_scale():
    with pytest.raises(ValueError, match="scale"):
        warp(_random_image(), scale=0)


def test_thickening_grows_a_dot_into_squares_and_thinning_shrinks_them_back():
    once, twice = thicken(_dot(10, 12), 1), thicken(_dot(10, 12), 2)
    assert set(zip(*np.nonzero(once))) == {(r, c) for r in range(9, 12) for c in range(11, 14)}
    assert set(zip(*np.nonzero(twice))) == {(r, c) for r in range(8, 13) for c in range(10, 15)}
    np.testing.assert_array_equal(thicken(twice, -2), _dot(10, 12))
    assert not thicken(_dot(10, 12), -1).any()


def test_blur_of_a_dot_is_the_normalised_gaussian_kernel():
    blurred = blur(_dot(14, 14), 1.0)
    kernel = cv2.getGaussianKernel(7, 1.0)[:, 0]  # reaches three standard deviations each way
    np.testing.assert_allclose(blurred[11:18, 11:18], np.outer(kernel, kernel), atol=1e-6)
    assert blurred.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_array_equal(blur(_dot(14, 14), 0.0), _dot(14, 14))


def test_blur_matches_opencv_with_a_black_border():
    image = _random_image()
    expected = cv2.GaussianBlur(image, (11, 11), 1.5, borderType=cv2.BORDER_CONSTANT)  # three sigmas each way
    np.testing.assert_allclose(blur(image, 1.5), expected, atol=1e-5)


def test_a_stack_is_bent_as_each_of_its_digits_alone():
    stack = np.random.default_rng(2).random((3, SIDE, SIDE)).astype(np.float32)
    setting = Perturbation(rotation_deg=25, scale=0.9, shift_x=1.5, thickness=-1, blur_sigma=0.7, occlusion_size=5, contrast=0.6)
    np.testing.assert_allclose(perturb(stack, setting), np.stack([perturb(image, setting) for image in stack]), atol=1e-6)


def test_noise_is_seeded_centred_and_of_the_asked_spread():
    grey = np.full((SIDE, SIDE), 0.5, np.float32)
    noisy = add_noise(grey, 0.1, seed=3)
    np.testing.assert_array_equal(noisy, add_noise(grey, 0.1, seed=3))
    assert not np.array_equal(noisy, add_noise(grey, 0.1, seed=4))
    assert abs(float(noisy.mean()) - 0.5) < 0.02 and abs(float(noisy.std()) - 0.1) < 0.02
    assert add_noise(np.ones((SIDE, SIDE), np.float32), 0.5).max() <= 1.0


def test_occlusion_blacks_out_exactly_its_square_clipped_to_the_frame():
    image = np.ones((SIDE, SIDE), np.float32)
    hidden = occlude(image, 4, x=5, y=7)
    assert set(zip(*np.nonzero(hidden == 0))) == {(r, c) for r in range(7, 11) for c in range(5, 9)}
    corner = occlude(image, 4, x=-2, y=-1)
    assert set(zip(*np.nonzero(corner == 0))) == {(r, c) for r in range(0, 3) for c in range(0, 2)}
    assert centred_corner(8) == 10  # rows 10..17 around the centre 13.5


def test_contrast_pulls_towards_mid_grey():
    image = np.array([[0.0, 1.0] * 14] * SIDE, np.float32)
    np.testing.assert_allclose(set_contrast(image, 0.5)[0, :2], [0.25, 0.75])
    np.testing.assert_allclose(set_contrast(image, 0.0), 0.5)
    np.testing.assert_array_equal(set_contrast(image, 1.0), image)


def test_default_perturbation_leaves_the_digit_and_takes_uint8():
    image = (np.random.default_rng(1).random((SIDE, SIDE)) * 255).astype(np.uint8)
    np.testing.assert_allclose(perturb(image, Perturbation()), image / 255.0, atol=1e-6)
    with pytest.raises(ValueError, match="28"):
        perturb(np.zeros((20, 20), np.float32), Perturbation())


def test_perturb_occludes_in_frame_coordinates_after_the_geometry():
    image = np.ones((SIDE, SIDE), np.float32)
    out = perturb(image, Perturbation(shift_x=5, occlusion_size=3, occlusion_x=10, occlusion_y=10))
    assert not out[:, :5].any()  # the shift brought black in from the left
    assert not out[10:13, 10:13].any() and out[14, 14] == 1.0
