"""Bending a digit: rotation, scale, shift, stroke thickness, blur, noise, occlusion and contrast.

Pure NumPy and OpenCV on (28, 28) float32 images in [0, 1], white ink on black. The What if page
applies them one slider at a time, the robustness curves one strength at a time over the test set.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.mnist_format import IMAGE_SIDE

CENTRE = (IMAGE_SIDE - 1) / 2.0  # 13.5: the middle of the pixel grid, which rotation and scale keep in place
_SQUARE = np.ones((3, 3), np.uint8)  # one thickness step grows or shrinks a stroke by a pixel on every side


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


def as_unit_float(image: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 in [0, 255] or float in [0, 1] -> (28, 28) float32 in [0, 1].

    Raises:
        ValueError: the image is not 28 by 28.
    """
    if image.shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"Expected one image of shape ({IMAGE_SIDE}, {IMAGE_SIDE}), got {image.shape}.")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return image.astype(np.float32)


def warp(image: np.ndarray, rotation_deg: float = 0.0, scale: float = 1.0, shift_x: float = 0.0, shift_y: float = 0.0) -> np.ndarray:
    """Rotation and scale about the centre, then a shift, in one bilinear resampling.

    Pixels that come from outside the frame are black, as MNIST's background.

    Raises:
        ValueError: scale is not positive.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}.")
    matrix = cv2.getRotationMatrix2D((CENTRE, CENTRE), rotation_deg, scale)  # (2, 3)
    matrix[:, 2] += (shift_x, shift_y)
    return cv2.warpAffine(
        as_unit_float(image), matrix, (IMAGE_SIDE, IMAGE_SIDE), flags=cv2.INTER_LINEAR, borderValue=0.0
    )


def thicken(image: np.ndarray, pixels: int) -> np.ndarray:
    """Grey-level dilation (pixels > 0) or erosion (pixels < 0) by a 3x3 square, |pixels| times."""
    image = as_unit_float(image)
    if pixels == 0:
        return image
    morphology = cv2.dilate if pixels > 0 else cv2.erode
    return morphology(image, _SQUARE, iterations=abs(pixels), borderType=cv2.BORDER_CONSTANT, borderValue=0.0)


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with a kernel reaching three standard deviations each way; sigma 0 leaves the image."""
    image = as_unit_float(image)
    if sigma <= 0:
        return image
    side = 2 * int(np.ceil(3 * sigma)) + 1
    return cv2.GaussianBlur(image, (side, side), sigma, borderType=cv2.BORDER_CONSTANT)


def add_noise(image: np.ndarray, std: float, seed: int = 0) -> np.ndarray:
    """Adds seeded Gaussian noise and clips back into [0, 1]."""
    image = as_unit_float(image)
    if std <= 0:
        return image
    noise = np.random.default_rng(seed).normal(0.0, std, image.shape).astype(np.float32)
    return np.clip(image + noise, 0.0, 1.0)


def occlude(image: np.ndarray, size: int, x: int, y: int) -> np.ndarray:
    """Blacks out the size x size square whose top-left corner is (x, y); the part outside the frame is ignored."""
    image = as_unit_float(image).copy()
    if size > 0:
        image[max(y, 0) : max(y + size, 0), max(x, 0) : max(x + size, 0)] = 0.0
    return image


def centred_corner(size: int) -> int:
    """The top-left coordinate that centres a size-pixel patch on the 28-pixel frame."""
    return (IMAGE_SIDE - size) // 2


def set_contrast(image: np.ndarray, contrast: float) -> np.ndarray:
    """Pulls every pixel towards mid-grey: 0.5 + contrast * (pixel - 0.5); 1 leaves the image."""
    return np.clip(0.5 + contrast * (as_unit_float(image) - 0.5), 0.0, 1.0).astype(np.float32)


def perturb(image: np.ndarray, perturbation: Perturbation) -> np.ndarray:
    """Applies every setting, in the order a page of ink would suffer them.

    The geometry first (one resampling), then the pen (thickness), the lens (blur), the cover
    (occlusion, in the frame's coordinates after the geometry), the light (contrast) and the sensor (noise).

    Args:
        image: (28, 28) uint8 in [0, 255] or float in [0, 1].
        perturbation: the settings.

    Returns:
        (28, 28) float32 in [0, 1].

    Raises:
        ValueError: the image is not 28 by 28, or the scale is not positive.
    """
    p = perturbation
    bent = warp(image, p.rotation_deg, p.scale, p.shift_x, p.shift_y)
    bent = blur(thicken(bent, p.thickness), p.blur_sigma)
    bent = set_contrast(occlude(bent, p.occlusion_size, p.occlusion_x, p.occlusion_y), p.contrast)
    return add_noise(bent, p.noise_std, p.noise_seed)
