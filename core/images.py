"""Turn uploaded bytes into plain uint8 pixel arrays, refusing anything too big, broken or not an image.

Pillow does the decoding, with `pi-heif` for the HEIC photos iPhones take (decoding only, so no encoder's
licence comes with it); every failure either can raise comes out as one `ImageDecodeError` with a message
that can be shown to the user as it is.
"""

from __future__ import annotations

import io
import logging
import math

import numpy as np
import pi_heif
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_IMAGE_PIXELS = 40_000_000
"""Largest width x height decoded by default (a 40-megapixel photo).

Larger images are refused from their header, before any pixel is decoded, so a small file that claims
to be enormous (a decompression bomb) cannot exhaust memory. Pillow's own, higher limit still applies.
"""

SUPPORTED_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "DIB", "WEBP", "TIFF", "PPM", "HEIF", "AVIF")
"""Pillow plugins allowed to open uploads ("JPEG" also opens phone photos that Pillow reports as MPO;
"HEIF" is `pi-heif`'s, registered below).

Formats without a reliable signature (TGA, for one) are left out: they would happily "decode" random bytes.
"""

_FORMAT_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)

UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "webp", "gif", "tif", "tiff", "heic", "heif", "avif")
"""The file endings the upload widgets accept: the formats above, as people's files are named."""

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")
"""The brands after `ftyp` that mark a HEIC or AVIF file; MP4 and QuickTime videos share the box."""

SUPPORTED_FORMATS_TEXT = "PNG, JPEG, HEIC, GIF, BMP, WebP, AVIF or TIFF"
"""The formats above as people name them, for upload labels and messages."""

pi_heif.register_heif_opener()


class ImageDecodeError(ValueError):
    """The bytes could not be turned into pixels; the message says why in words meant for the user."""


def decode_image(
    data: bytes, *, name: str = "image", max_pixels: int = MAX_IMAGE_PIXELS, working_side: int | None = None
) -> np.ndarray:
    """Decodes an uploaded image file into a uint8 pixel array.

    The EXIF orientation is applied, animated images give their first frame, 16-bit images are scaled
    (not clipped) to 8 bits, and other colour modes (palette, CMYK, grey + alpha ...) are converted to
    grey, RGB or RGBA, keeping the alpha channel where there is one.

    Args:
        data: The whole file, as uploaded.
        name: What to call the file in error messages, usually its file name.
        max_pixels: Largest width x height to decode; checked from the header, before decoding.
        working_side: the longer side the caller will shrink the picture to, if any: a JPEG is then
            decoded at the smallest of its 1/2, 1/4, 1/8 scales that keeps at least this side (JPEG's
            own downscaling, in the frequency domain: a 12-megapixel photo decodes several times faster).

    Returns:
        `(H, W)` grey, `(H, W, 3)` RGB or `(H, W, 4)` RGBA, uint8, C-contiguous and writable.

    Raises:
        ImageDecodeError: The file is empty, is not an image (text, PDF, SVG ...), is larger than
            `max_pixels`, or is truncated or corrupt.
    """
    if len(data) == 0:
        raise ImageDecodeError(f"{name} is empty (0 bytes). Please choose the file again.")
    Image.init()  # `open(formats=...)` raises KeyError for a plugin not imported yet (WebP, TIFF)
    try:
        with Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS) as image:
            # `open` has only parsed the header here, so refusing now costs no pixel memory.
            _check_size(image.size, name=name, max_pixels=max_pixels)
            if working_side is not None and image.format in ("JPEG", "MPO"):
                share = min(1.0, working_side / max(image.size))
                image.draft(image.mode, (math.ceil(image.width * share), math.ceil(image.height * share)))
            image.load()
            return _to_array(_apply_orientation(image))
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError:
        # Pillow's own limit fired while reading the header: the claimed size is far beyond ours.
        raise ImageDecodeError(
            f"{name} is larger than the limit of {max_pixels:,} pixels. Please upload a smaller picture."
        ) from None
    except UnidentifiedImageError:
        raise ImageDecodeError(_describe_unreadable(data, name)) from None
    except Exception as error:
        # Pillow's decoders signal bad data with OSError, SyntaxError, EOFError, ValueError, struct.error
        # and more, depending on the format: all of them mean "damaged file" to the user.
        raise ImageDecodeError(
            f"{name} is truncated or corrupt: its pixel data could not be read. "
            "Try exporting or saving the picture again."
        ) from error


def _check_size(size: tuple[int, int], *, name: str, max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"{name} has no pixels ({width} x {height}).")
    if width * height > max_pixels:
        raise ImageDecodeError(
            f"{name} is {width:,} x {height:,} pixels, larger than the limit of {max_pixels:,} pixels. "
            "Please upload a smaller picture."
        )


def _apply_orientation(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        # Broken EXIF metadata should not cost the user a picture whose pixels are fine.
        logger.warning("Unreadable EXIF orientation; the picture is used as stored", exc_info=True)
        return image


def _to_array(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        return _high_depth_to_uint8(image)
    if mode == "1":
        image = image.convert("L")
    elif mode in ("LA", "La", "PA", "RGBa") or (mode != "RGBA" and image.has_transparency_data):
        image = image.convert("RGBA")
    elif mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV, RGBX
    return np.ascontiguousarray(np.array(image, dtype=np.uint8))


def _high_depth_to_uint8(image: Image.Image) -> np.ndarray:
    values = np.asarray(image)
    if image.mode == "F":
        values = values.astype(np.float64)
        # Float images are either in [0, 1] or already on the 8-bit scale.
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            values = values * 255.0
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    # "I;16*" and "I" both hold 16-bit samples here (16-bit PNG, PGM and TIFF): 65535 maps to 255.
    wide = np.clip(values.astype(np.int64), 0, 65535)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def _describe_unreadable(data: bytes, name: str) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF"):
        return f"{name} is a PDF document, not an image. Export the page as PNG or JPEG first."
    if b"<svg" in head.lower():
        return f"{name} is an SVG drawing, which is not supported. Export it as PNG first."
    if head[4:8] == b"ftyp" and len(head) >= 12:
        if head[8:12] in _HEIF_BRANDS:
            return f"{name} looks like a HEIC or AVIF photo but its header is damaged or truncated."
        return f"{name} is a video, not an image. Take a still picture of the digits instead."
    for signature, format_name in _FORMAT_SIGNATURES:
        if data.startswith(signature):
            return f"{name} looks like a {format_name} file but its header is damaged or truncated."
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return f"{name} looks like a WebP file but its header is damaged or truncated."
    if _looks_like_text(data[:2048]):
        return f"{name} is a text file, not an image. Please upload a {SUPPORTED_FORMATS_TEXT} picture."
    return f"{name} is not an image Digit Lab can read. Please upload a {SUPPORTED_FORMATS_TEXT} picture."


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may stop in the middle of a multi-byte character; anything earlier is not text.
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    return bool(text) and all(character.isprintable() or character in "\t\r\n\f" for character in text)
