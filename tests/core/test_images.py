"""Tests for core.images: every picture is built in memory, every failure must be an ImageDecodeError."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from core.images import MAX_IMAGE_PIXELS, ImageDecodeError, decode_image
from tests.upload_corpus import HEIC_PHOTO, encode, png_header_only


def _pattern_rgb(height: int = 24, width: int = 32) -> np.ndarray:
    """Four flat colour blocks: easy to check after lossy or palette encoding."""
    pixels = np.zeros((height, width, 3), np.uint8)  # (H, W, 3) uint8
    pixels[: height // 2, : width // 2] = (255, 0, 0)
    pixels[: height // 2, width // 2 :] = (0, 255, 0)
    pixels[height // 2 :, : width // 2] = (0, 0, 255)
    pixels[height // 2 :, width // 2 :] = (255, 255, 255)
    return pixels


@pytest.mark.parametrize(
    ("image_format", "options", "tolerance"),
    [
        ("PNG", {}, 0),
        ("BMP", {}, 0),
        ("TIFF", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("GIF", {}, 0),  # four colours fit the palette exactly
        ("JPEG", {"quality": 95}, 12),
        ("AVIF", {"quality": 95}, 12),
    ],
)
def test_decodes_common_formats_to_rgb(image_format: str, options: dict, tolerance: int) -> None:
    expected = _pattern_rgb()
    data = encode(Image.fromarray(expected), image_format, **options)

    decoded = decode_image(data)

    assert decoded.shape == expected.shape
    assert decoded.dtype == np.uint8
    assert decoded.flags.writeable and decoded.flags.c_contiguous
    # Compare block interiors: JPEG blurs the edges between blocks.
    difference = np.abs(decoded.astype(int) - expected.astype(int))[2:10, 2:14]
    assert difference.max() <= tolerance


def test_grey_png_stays_two_dimensional() -> None:
    gradient = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (5, 1))  # (5, 25) uint8
    decoded = decode_image(encode(Image.fromarray(gradient), "PNG"))
    assert decoded.shape == (5, 25)
    np.testing.assert_array_equal(decoded, gradient)


def test_one_bit_png_becomes_grey_0_and_255() -> None:
    image = Image.new("1", (8, 4), 0)
    image.putpixel((3, 1), 1)
    decoded = decode_image(encode(image, "PNG"))
    assert decoded.shape == (4, 8)
    assert decoded[1, 3] == 255 and decoded.sum() == 255


def test_rgba_png_keeps_alpha() -> None:
    pixels = np.zeros((6, 6, 4), np.uint8)
    pixels[..., 0] = 200
    pixels[..., 3] = np.arange(6, dtype=np.uint8)[None, :] * 50
    decoded = decode_image(encode(Image.fromarray(pixels, "RGBA"), "PNG"))
    np.testing.assert_array_equal(decoded, pixels)


def test_grey_alpha_png_becomes_rgba_with_its_alpha() -> None:
    grey = np.full((5, 7), 30, np.uint8)
    alpha = np.zeros((5, 7), np.uint8)
    alpha[2, 3] = 255
    image = Image.merge("LA", (Image.fromarray(grey), Image.fromarray(alpha)))

    decoded = decode_image(encode(image, "PNG"))

    assert decoded.shape == (5, 7, 4)
    np.testing.assert_array_equal(decoded[..., 3], alpha)
    assert (decoded[..., :3] == 30).all()


def test_fully_transparent_png_keeps_zero_alpha() -> None:
    image = Image.new("RGBA", (10, 10), (255, 255, 255, 0))
    decoded = decode_image(encode(image, "PNG"))
    assert decoded.shape == (10, 10, 4)
    assert (decoded[..., 3] == 0).all()


def test_palette_png_with_transparency_becomes_rgba() -> None:
    image = Image.new("P", (4, 4), 0)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    image.putpixel((1, 1), 1)
    decoded = decode_image(encode(image, "PNG", transparency=0))
    assert decoded.shape == (4, 4, 4)
    assert decoded[1, 1].tolist() == [255, 255, 255, 255]
    assert decoded[0, 0, 3] == 0


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    samples = np.array([[0, 257, 1000, 32896, 50000, 65535]], np.uint16)  # (1, 6) uint16
    ok, encoded = cv2.imencode(".png", samples)
    assert ok and encoded.tobytes()[24] == 16  # IHDR bit depth: really a 16-bit file

    decoded = decode_image(encoded.tobytes())

    assert decoded.dtype == np.uint8 and decoded.shape == (1, 6)
    expected = np.rint(samples / 257.0)
    np.testing.assert_allclose(decoded, expected, atol=1)
    assert decoded[0, 3] == 128  # clipping would have made this 255


def test_sixteen_bit_rgb_png_is_scaled() -> None:
    samples = np.zeros((2, 2, 3), np.uint16)
    samples[0, 0] = (65535, 32896, 0)  # BGR for OpenCV
    ok, encoded = cv2.imencode(".png", samples)
    assert ok
    decoded = decode_image(encoded.tobytes())
    assert decoded.shape == (2, 2, 3)
    np.testing.assert_allclose(decoded[0, 0], [0, 128, 255], atol=1)


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (32, 16), (0, 0, 0, 0))  # no ink: white paper
    cmyk.paste((0, 0, 0, 255), (0, 0, 16, 16))  # full black ink on the left half
    decoded = decode_image(encode(cmyk, "JPEG", quality=95))
    assert decoded.shape == (16, 32, 3)
    assert decoded[4:12, 2:12].mean() < 20
    assert decoded[4:12, 20:30].mean() > 235


@pytest.mark.parametrize(("orientation", "quarter_turns"), [(3, 2), (6, -1), (8, 1)])
def test_exif_orientation_is_applied(orientation: int, quarter_turns: int) -> None:
    stored = np.zeros((24, 40), np.uint8)  # (H, W): wider than tall
    stored[:12, :20] = 255  # one bright corner: any rotation or flip moves it
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes())

    decoded = decode_image(data)

    # np.rot90 turns counter-clockwise for positive k; orientation 6 means "turn clockwise to view".
    expected = np.rot90(stored, k=quarter_turns)
    assert decoded.shape == expected.shape
    assert np.abs(decoded.astype(int) - expected).mean() < 6
    assert np.abs(decoded.astype(int) - np.rot90(stored, k=quarter_turns + 2)).mean() > 100


@pytest.mark.parametrize("image_format", ["GIF", "WEBP"])
def test_animated_image_gives_its_first_frame(image_format: str) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (12, 8), colour) for colour in colours]
    options = {"lossless": True} if image_format == "WEBP" else {}
    data = encode(frames[0], image_format, save_all=True, append_images=frames[1:], duration=100, loop=0, **options)
    assert Image.open(io.BytesIO(data)).n_frames == 3

    decoded = decode_image(data)

    assert decoded.shape[:2] == (8, 12)
    assert decoded[..., :3].reshape(-1, 3).tolist() == [[255, 0, 0]] * 96


def test_one_pixel_image_decodes() -> None:
    decoded = decode_image(encode(Image.new("L", (1, 1), 77), "PNG"))
    assert decoded.shape == (1, 1) and decoded[0, 0] == 77


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImageDecodeError, match="empty"):
        decode_image(b"", name="drawing.png")


def test_error_is_a_value_error_that_names_the_file() -> None:
    with pytest.raises(ValueError, match="scan.jpg"):
        decode_image(b"\x00\x01\x02", name="scan.jpg")


@pytest.mark.parametrize(
    ("data", "expected_words"),
    [
        (b"Dear team,\nhere is my digit: 7\n", "text file"),
        ("na\u00efve caf\u00e9 r\u00e9sum\u00e9 \u2014 d\u00edgito".encode(), "text file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>', "SVG"),
        (b'<svg viewBox="0 0 10 10"><path d="M0 0L10 10"/></svg>', "SVG"),
        (np.random.default_rng(7).bytes(4096), "not an image"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64), "video"),
    ],
    ids=["ascii-text", "utf8-text", "pdf", "svg-with-xml-prolog", "bare-svg", "random-bytes", "mp4-video"],
)
def test_non_images_get_a_specific_message(data: bytes, expected_words: str) -> None:
    with pytest.raises(ImageDecodeError, match=expected_words):
        decode_image(data)


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_truncated_file_is_reported_as_truncated_or_corrupt(image_format: str) -> None:
    noise = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), image_format)
    with pytest.raises(ImageDecodeError, match="truncated or corrupt"):
        decode_image(data[: len(data) // 2])


def test_file_cut_inside_its_header_is_reported_as_damaged() -> None:
    data = encode(Image.fromarray(_pattern_rgb()), "PNG")
    with pytest.raises(ImageDecodeError, match="PNG|truncated"):
        decode_image(data[:20])


def test_decompression_bomb_header_is_refused_from_its_size() -> None:
    data = png_header_only(20_000, 20_000)  # 400 MP claimed in under 100 bytes: no pixels to decode
    with pytest.raises(ImageDecodeError, match="40,000,000"):
        decode_image(data)


def test_image_just_over_the_limit_is_refused_from_its_header() -> None:
    # Under Pillow's own limit, so only our check can refuse it; had the pixels been decoded, the
    # nearly empty pixel data would have raised "truncated" instead of naming the size.
    data = png_header_only(8_000, 5_001)
    assert 8_000 * 5_001 > MAX_IMAGE_PIXELS
    with pytest.raises(ImageDecodeError, match="8,000 x 5,001"):
        decode_image(data)


def test_max_pixels_is_inclusive_and_adjustable() -> None:
    data = encode(Image.new("L", (100, 50), 0), "PNG")
    assert decode_image(data, max_pixels=5_000).shape == (50, 100)
    with pytest.raises(ImageDecodeError, match="4,999"):
        decode_image(data, max_pixels=4_999)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the TIFF tags we mangle
@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_damaged_files_raise_only_image_decode_error(image_format: str) -> None:
    """Fuzz: cut and flip bytes at random; decoding may succeed, but no other exception may escape."""
    rng = np.random.default_rng(11)
    noise = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    original = encode(Image.fromarray(noise), image_format)
    failures = 0
    for trial in range(40):
        damaged = bytearray(original[: rng.integers(1, len(original))] if trial % 2 else original)
        for position in rng.integers(0, len(damaged), size=4):
            damaged[position] = rng.integers(0, 256)
        try:
            decoded = decode_image(bytes(damaged))
        except ImageDecodeError:
            failures += 1
        else:
            assert decoded.dtype == np.uint8 and decoded.ndim in (2, 3)
    assert failures > 0  # the damage was real enough to be noticed at least sometimes


def test_a_big_jpeg_is_decoded_at_the_smallest_scale_keeping_the_working_side():
    photo = Image.fromarray(np.tile(np.linspace(0, 255, 2000, dtype=np.uint8), (1600, 1)))  # (1600, 2000) grey
    jpeg, png = encode(photo, "JPEG", quality=90), encode(photo, "PNG")
    assert decode_image(jpeg).shape == (1600, 2000)
    assert decode_image(jpeg, working_side=600).shape == (800, 1000)  # half size: a quarter would be under 600
    assert decode_image(jpeg, working_side=3000).shape == (1600, 2000)
    assert decode_image(png, working_side=600).shape == (1600, 2000)  # only JPEG scales while decoding


def test_an_iphone_heic_photo_decodes_upright() -> None:
    decoded = decode_image(HEIC_PHOTO.read_bytes())  # stored sideways, with the turn in its metadata

    assert decoded.shape == (200, 160, 3)  # portrait, as taken
    assert decoded[48:53, 50:110].mean() < 80  # the 7's bar is dark, across the top
    assert decoded[100:110, 20:30].mean() > 200  # paper to the left of its stem


@pytest.mark.parametrize("kept_share", [0.01, 0.05, 0.5, 0.99])
def test_a_cut_heic_photo_is_reported_as_damaged(kept_share: float) -> None:
    data = HEIC_PHOTO.read_bytes()
    with pytest.raises(ImageDecodeError, match="HEIC or AVIF photo but its header is damaged|truncated or corrupt"):
        decode_image(data[: max(12, int(len(data) * kept_share))])
