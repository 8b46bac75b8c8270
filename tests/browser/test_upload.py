"""The Predict page's "Upload images" tab in a real browser: files built in memory, one of them not an image."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import FilePayload, expect

from bench.stress_photos import photograph_writing
from tests.browser.pendigits import read_pendigits
from tests.browser.streamlit_ui import AppTab
from tests.upload_corpus import HEIC_PHOTO

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAPER = 255  # white paper
INK = 0  # dark ink


def seven() -> np.ndarray:
    """A "7" in a thick pen stroke: a bar and a slanted stem."""
    image = np.full((240, 200), PAPER, np.uint8)  # (240, 200) uint8, dark ink on white paper
    cv2.polylines(image, [np.array([(50, 45), (150, 45), (85, 205)], np.int32)], isClosed=False, color=INK, thickness=20)
    return image


def zero() -> np.ndarray:
    """A "0": an upright ellipse in a thick pen stroke."""
    image = np.full((240, 200), PAPER, np.uint8)  # (240, 200) uint8, dark ink on white paper
    cv2.ellipse(image, (100, 120), (52, 82), 0, 0, 360, INK, thickness=20)
    return image


def encoded(image: np.ndarray, extension: str) -> bytes:
    ok, buffer = cv2.imencode(extension, image)
    assert ok, f"OpenCV could not encode {extension}"
    return buffer.tobytes()


@pytest.mark.browser
def test_uploaded_images_are_predicted_and_a_bad_file_is_reported(tab: AppTab, shipped_model_active) -> None:
    files: list[FilePayload] = [
        {"name": "seven.png", "mimeType": "image/png", "buffer": encoded(seven(), ".png")},
        {"name": "zero.jpg", "mimeType": "image/jpeg", "buffer": encoded(zero(), ".jpg")},
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"Shopping list\nmilk\neggs\n"},
        {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": HEIC_PHOTO.read_bytes()},  # an iPhone's photo
    ]
    tab.open("/Predict")
    tab.main.get_by_role("tab", name="Upload images").click()
    panel = tab.main.get_by_role("tabpanel", name="Upload images")
    with tab.finished_run():
        panel.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files)

    expect(tab.metric_value("Prediction", scope=panel)).to_have_text(["7", "0", "7"])
    error = panel.get_by_test_id("stAlertContentError")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("notes.png")
    expect(error).to_contain_text("not an image")
    for name in ("seven.png", "zero.jpg", "notes.png", "IMG_0001.HEIC"):
        expect(panel.get_by_test_id("stMarkdownContainer").get_by_text(name, exact=True)).to_be_visible()
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)

    # The page still works: the Draw tab shows its canvas again.
    tab.main.get_by_role("tab", name="Draw").click()
    expect(tab.page.locator("canvas.upper-canvas")).to_be_visible()
    expect(tab.main.get_by_role("tabpanel", name="Draw").get_by_text("Draw a digit")).to_be_visible()


@pytest.mark.browser
def test_a_file_over_the_upload_limit_is_refused_in_the_browser(tab: AppTab, shipped_model_active) -> None:
    limit_mb = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    tab.open("/Predict")
    tab.main.get_by_role("tab", name="Upload images").click()
    panel = tab.main.get_by_role("tabpanel", name="Upload images")
    too_big = b"\x89PNG\r\n\x1a\n" + bytes((limit_mb + 1) * 1024 * 1024)
    panel.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [{"name": "huge.png", "mimeType": "image/png", "buffer": too_big}]
    )
    expect(panel.get_by_text(re.compile(rf"{limit_mb}(\.0)? ?MB"))).to_be_visible()
    expect(tab.metric("Prediction", scope=panel)).to_have_count(0)
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)


def two_line_photo() -> np.ndarray:
    """`12345|67890` in real pen strokes (each digit the fixture's first of its class) on paper, as a
    phone photographs it: `(H, W, 3)` uint8 RGB (seed 0 of the plain condition)."""
    first = {label: next(digit for digit in read_pendigits() if digit.label == label) for label in range(10)}
    lines = [[first[label] for label in (1, 2, 3, 4, 5)], [first[label] for label in (6, 7, 8, 9, 0)]]
    return photograph_writing(lines, "plain", np.random.default_rng(0)).image


@pytest.mark.browser
def test_a_two_line_photo_reads_both_lines_and_a_digit_opens_in_feature_maps(tab: AppTab, shipped_model_active) -> None:
    photo = cv2.cvtColor(two_line_photo(), cv2.COLOR_RGB2BGR)
    tab.open("/Predict")
    tab.main.get_by_role("tab", name="Upload images").click()
    panel = tab.main.get_by_role("tabpanel", name="Upload images")
    with tab.finished_run():
        panel.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            [{"name": "two-lines.jpg", "mimeType": "image/jpeg", "buffer": encoded(photo, ".jpg")}]
        )

    expect(tab.metric_value("Prediction", scope=panel)).to_have_text("12345|67890")
    expect(panel.get_by_text("10 digits found in 2 lines")).to_be_visible()
    expect(panel.get_by_test_id("stExpander")).to_have_count(10)
    expect(panel.get_by_test_id("stExpander").nth(5)).to_contain_text("Digit 6 (line 2): 6")

    # The sixth digit's own crop, not the first, is what Feature maps shows.
    panel.get_by_test_id("stExpander").nth(5).get_by_text("Digit 6").click()
    with tab.finished_run():
        panel.get_by_test_id("stExpander").nth(5).get_by_role("button", name="Open its feature maps").click()
    expect(tab.page).to_have_url(re.compile(r"/Feature_maps"))
    expect(tab.metric_value("Prediction")).to_have_text("6")
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)
