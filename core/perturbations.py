"""Bending a digit: rotation, scale, shift, stroke thickness, blur, noise, occlusion and contrast.

Pure NumPy on (28, 28) float32 images in [0, 1], white ink on black, or stacks of them (n, 28, 28): the
What if page bends one digit per slider change, the robustness curves a thousand at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from core.mnist_format import IMAGE_SIDE

CENTRE = (IMAGE_SIDE - 1) / 2.0  # 13.5: the middle of the pixel grid, which rotation and scale keep in place


@dataclass(frozen=True)
class Perturbation:
    """A complete setting of the What if sliders; the defaults leave a digit as it is.

    Attributes:
        rotation_deg: counter-clockwise, about the image centre.
        scale: zoom about the image centre; 2 doubles the digit.
        shift_x, shift_y: pixels right and down.
        thickness: stroke pixels added (dilation) or, when negative, removed (erosion) on every side.
        blur_sigma: the Gaussian blur's standard deviation in pixels; 0 is none.
        noise_std: the standard deviation of added Gaussian noise, in units of full white.
        noise_seed: makes the noise repeatable, so a slider that is not noise does not reshuffle it.
        occlusion_size: the side of a black square patch; 0 is none.
        occlusion_x, occlusion_y: the patch's top-left corner.
        contrast: 1 as is; towards 0 ink and background both fade to mid-grey.
    """

    rotation_deg: float = 0.0
    scale: float = 1.0
    shift_x: float = 0.0
    shift_y: float = 0.0
    thickness: int = 0
    blur_sigma: float = 0.0
    noise_std: float = 0.0
    noise_seed: int = 0
    occlusion_size: int = 0
    occlusion_x: int = 0
    occlusion_y: int = 0
    contrast: float = 1.0


def as_unit_float(images: np.ndarray) -> np.ndarray:
    """(..., 28, 28) uint8 in [0, 255] or float in [0, 1] -> the same shape in float32 in [0, 1].

    Raises:
        ValueError: the images are not 28 by 28.
    """
    if images.shape[-2:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"Expected images of shape (..., {IMAGE_SIDE}, {IMAGE_SIDE}), got {images.shape}.")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)


def _shifted_views(padded: np.ndarray, reach: int) -> list[np.ndarray]:
    """Every (..., 28, 28) window of an image padded by `reach` on each side, offset by up to `reach` pixels."""
    return [
        padded[..., reach + dy : reach + dy + IMAGE_SIDE, reach + dx : reach + dx + IMAGE_SIDE]
        for dy in range(-reach, reach + 1)
        for dx in range(-reach, reach + 1)
    ]


def _pad(images: np.ndarray, reach: int) -> np.ndarray:
    """Black border of `reach` pixels on the last two axes: outside the frame is background."""
    return np.pad(images, [(0, 0)] * (images.ndim - 2) + [(reach, reach), (reach, reach)])


def warp(images: np.ndarray, rotation_deg: float = 0.0, scale: float = 1.0, shift_x: float = 0.0, shift_y: float = 0.0) -> np.ndarray:
    """Rotation and scale about the centre, then a shift, in one bilinear resampling.

    Each output pixel reads the point that this motion brings onto it; points outside the frame are
    black, as MNIST's background. The same source points serve a whole stack, so it costs four gathers.

    Args:
        images: (..., 28, 28) uint8 or float in [0, 1].
        rotation_deg: counter-clockwise as seen (the y axis points down).
        scale: zoom factor.
        shift_x, shift_y: pixels right and down.

    Returns:
        (..., 28, 28) float32 in [0, 1].

    Raises:
        ValueError: scale is not positive, or the images are not 28 by 28.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}.")
    images = as_unit_float(images)
    rows, columns = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE].astype(np.float64)
    theta = np.radians(rotation_deg)
    dx, dy = (columns - shift_x - CENTRE) / scale, (rows - shift_y - CENTRE) / scale
    # Undo a counter-clockwise turn on a screen whose y axis points down.
    source_x = CENTRE + dx * np.cos(theta) - dy * np.sin(theta)  # (28, 28)
    source_y = CENTRE + dx * np.sin(theta) + dy * np.cos(theta)
    left, top = np.floor(source_x), np.floor(source_y)
    weight_x, weight_y = (source_x - left).astype(np.float32), (source_y - top).astype(np.float32)
    padded = _pad(images, 1)  # (..., 30, 30): a pixel read from outside the frame lands on the black border
    # Indices into the padded frame, clipped onto its border when the point lies further out.
    x0, x1 = (np.clip(left + offset + 1, 0, IMAGE_SIDE + 1).astype(np.intp) for offset in (0, 1))
    y0, y1 = (np.clip(top + offset + 1, 0, IMAGE_SIDE + 1).astype(np.intp) for offset in (0, 1))
    upper = padded[..., y0, x0] * (1 - weight_x) + padded[..., y0, x1] * weight_x
    lower = padded[..., y1, x0] * (1 - weight_x) + padded[..., y1, x1] * weight_x
    return (upper * (1 - weight_y) + lower * weight_y).astype(np.float32)


def thicken(images: np.ndarray, pixels: int) -> np.ndarray:
    """Grey-level dilation (pixels > 0) or erosion (pixels < 0) by a 3x3 square, |pixels| times; outside is black."""
    images = as_unit_float(images)
    combine = np.maximum if pixels > 0 else np.minimum
    for _ in range(abs(pixels)):
        views = _shifted_views(_pad(images, 1), 1)
        images = functools.reduce(combine, views[1:], views[0])
    return images


def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with a kernel reaching three standard deviations each way, black beyond the frame; 0 is none."""
    images = as_unit_float(images)
    if sigma <= 0:
        return images
    reach = int(np.ceil(3 * sigma))
    kernel = cv2.getGaussianKernel(2 * reach + 1, sigma).astype(np.float32)[:, 0]  # (2 * reach + 1,), sums to 1
    padded = _pad(images, reach)  # (..., 28 + 2 reach, 28 + 2 reach)
    across = sum(weight * padded[..., :, offset : offset + IMAGE_SIDE] for offset, weight in enumerate(kernel))
    return sum(weight * across[..., offset : offset + IMAGE_SIDE, :] for offset, weight in enumerate(kernel)).astype(np.float32)


def add_noise(images: np.ndarray, std: float, seed: int = 0) -> np.ndarray:
    """Adds seeded Gaussian noise and clips back into [0, 1]."""
    images = as_unit_float(images)
    if std <= 0:
        return images
    noise = np.random.default_rng(seed).normal(0.0, std, images.shape).astype(np.float32)
    return np.clip(images + noise, 0.0, 1.0)


def occlude(images: np.ndarray, size: int, x: int, y: int) -> np.ndarray:
    """Blacks out the size x size square whose top-left corner is (x, y); the part outside the frame is ignored."""
    images = as_unit_float(images).copy()
    if size > 0:
        images[..., max(y, 0) : max(y + size, 0), max(x, 0) : max(x + size, 0)] = 0.0
    return images


def centred_corner(size: int) -> int:
    """The top-left coordinate that centres a size-pixel patch on the 28-pixel frame."""
    return (IMAGE_SIDE - size) // 2


def set_contrast(images: np.ndarray, contrast: float) -> np.ndarray:
    """Pulls every pixel towards mid-grey: 0.5 + contrast * (pixel - 0.5); 1 leaves the images."""
    return np.clip(0.5 + contrast * (as_unit_float(images) - 0.5), 0.0, 1.0).astype(np.float32)


def perturb(images: np.ndarray, perturbation: Perturbation) -> np.ndarray:
    """Applies every setting, in the order a page of ink would suffer them.

    The geometry first (one resampling), then the pen (thickness), the lens (blur), the cover
    (occlusion, in the frame's coordinates after the geometry), the light (contrast) and the sensor (noise).

    Args:
        images: (28, 28) or (n, 28, 28), uint8 in [0, 255] or float in [0, 1]: one digit or a stack,
            each step done once for the whole stack.
        perturbation: the settings.

    Returns:
        The same shape, float32 in [0, 1].

    Raises:
        ValueError: the images are not 28 by 28, or the scale is not positive.
    """
    p = perturbation
    bent = warp(images, p.rotation_deg, p.scale, p.shift_x, p.shift_y)
    bent = blur(thicken(bent, p.thickness), p.blur_sigma)
    bent = set_contrast(occlude(bent, p.occlusion_size, p.occlusion_x, p.occlusion_y), p.contrast)
    return add_noise(bent, p.noise_std, p.noise_seed)
