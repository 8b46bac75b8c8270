"""Every kind of upload a live demo meets, built in memory: real digits in many encodings and files that are not.

Shared by the core pipeline test and the Predict page test so both judge the same corpus.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from core.data import load_sample


HEIC_PHOTO = Path(__file__).parent / "fixtures" / "photo_of_a_7.heic"  # an iPhone-style photo of a 7


@dataclass(frozen=True)
class Upload:
    """One file to upload and what the user must see: a digit, or an error containing some words."""

    name: str
    data: bytes
    digit: int | None = None  # the right answer, for files holding one digit
    error_words: str | None = None  # for files that must be refused


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` but which holds almost no pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def paper_digit(digit: int) -> np.ndarray:
    """The first sample test image of `digit`, enlarged to (168, 168), dark ink on white paper."""
    sample = load_sample()
    image = sample.x_test[int(np.flatnonzero(sample.y_test == digit)[0])]
    return 255 - cv2.resize(image, None, fx=6, fy=6, interpolation=cv2.INTER_LINEAR)  # (168, 168) uint8


def _exif_rotated_jpeg(digit: int) -> bytes:
    """The digit stored turned a quarter left, with EXIF orientation 6 telling viewers to turn it back."""
    stored = Image.fromarray(np.rot90(paper_digit(digit)).copy())
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    return encode(stored.convert("RGB"), "JPEG", quality=95, exif=exif)


def _animated_gif(digit: int) -> bytes:
    frames = [Image.fromarray(paper_digit(digit)), Image.fromarray(np.full((168, 168), 255, np.uint8))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _grey_alpha(digit: int) -> bytes:
    """Ink as opaque black on a transparent background, as drawing apps export it."""
    ink = 255 - paper_digit(digit)
    return encode(Image.fromarray(np.dstack([np.zeros_like(ink), ink]), "LA"), "PNG")


def _sixteen_bit(digit: int) -> bytes:
    return encode(Image.fromarray(paper_digit(digit).astype(np.uint16) * 257), "PNG")


def _shaded_paper(rng: np.random.Generator) -> np.ndarray:
    """A photo of an empty page: lit from one corner, darker toward the others, with sensor noise."""
    rows, columns = np.mgrid[0:240, 0:320]
    light = 215 - 40 * np.hypot(rows / 240, columns / 320) / np.sqrt(2)  # (240, 320) from 215 down to 175
    return np.clip(light + rng.normal(0, 3, light.shape), 0, 255).astype(np.uint8)


def build_corpus() -> list[Upload]:
    """The corpus: each good file holds a clearly written sample digit, each bad one a distinct fault."""
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    png_noise = encode(Image.fromarray(noise), "PNG")
    jpeg_noise = encode(Image.fromarray(noise), "JPEG")
    return [
        Upload("empty.png", b"", error_words="is empty"),
        Upload("random.png", rng.bytes(4096), error_words="not an image"),
        Upload("truncated.png", png_noise[: len(png_noise) // 2], error_words="truncated or corrupt"),
        Upload("truncated.jpg", jpeg_noise[: len(jpeg_noise) // 2], error_words="truncated or corrupt"),
        Upload("notes.png", b"Dear team,\nhere is my digit: 7\n", error_words="text file"),
        Upload("scan.png", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", error_words="PDF"),
        Upload("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', error_words="SVG"),
        Upload("dot.png", encode(Image.new("L", (1, 1), 0), "PNG"), error_words="blank"),
        Upload("bomb.png", png_header_only(20_000, 20_000), error_words="40,000,000"),
        Upload("animated.gif", _animated_gif(3), digit=3),
        Upload("sixteen-bit.png", _sixteen_bit(4), digit=4),
        Upload("grey-alpha.png", _grey_alpha(2), digit=2),
        Upload("transparent.png", encode(Image.new("LA", (64, 64), (0, 0)), "PNG"), error_words="blank"),
        Upload("cmyk.jpg", encode(Image.fromarray(paper_digit(0)).convert("CMYK"), "JPEG", quality=95), digit=0),
        Upload("exif-rotated.jpg", _exif_rotated_jpeg(7), digit=7),
        Upload("white.png", encode(Image.new("L", (64, 64), 255), "PNG"), error_words="blank"),
        Upload("black.png", encode(Image.new("L", (64, 64), 0), "PNG"), error_words="blank"),
        Upload("noise.png", png_noise, error_words="No digit"),
        Upload("blank-page.jpg", encode(Image.fromarray(_shaded_paper(rng)), "JPEG", quality=80), error_words="No digit"),
        Upload("digit.webp", encode(Image.fromarray(paper_digit(5)), "WEBP", lossless=True), digit=5),
        Upload("digit.bmp", encode(Image.fromarray(paper_digit(6)), "BMP"), digit=6),
        Upload("digit.avif", encode(Image.fromarray(paper_digit(8)).convert("RGB"), "AVIF", quality=90), digit=8),
        Upload("IMG_0001.HEIC", HEIC_PHOTO.read_bytes(), digit=7),
        Upload("clip.jpg", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + rng.bytes(256), error_words="video"),
    ]
