"""How fast the Predict page reads an uploaded 12-megapixel photo, in a real Chromium: file chosen to reading shown.

    python -m bench.upload_latency [--photos 22] [--megapixels 12] [--seed 0]

Makes generated photos of digits, numbers and lines (`bench.stress_photos`, from pendigits in
$DIGIT_LAB_DEV_DATA), enlarges each to a phone's JPEG (`bench.photo_stress.as_phone_jpeg`), and uploads
them one at a time to the Predict page's "Upload images" tab, each in a fresh page so earlier files are not
read again. Each photo is timed from handing the file to the page to the moment its Prediction is shown (the
upload, decoding and reading), and on to the end of the app's run (the numbered boxes, and every digit's
steps and bars, sent and drawn). The first photo, which loads the model, is not counted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.chromium import CHROMIUM_ARGS, pendigits_and_chromium
from bench.handwriting import parse_pendigits
from bench.photo_stress import as_phone_jpeg
from bench.stress_photos import CONDITIONS, stress_set

logger = logging.getLogger(__name__)

TARGET_P95_S = 1.5
"""Issue 16: a 12-megapixel photo answered in at most this at p95 on 2 cores."""

ANSWER_TIMEOUT_MS = 120_000
PREDICTION_SHOWN_JS = """(panel) => panel.querySelector('[data-testid="stMetricValue"]') !== null"""
RUN_OVER_JS = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'"""


def time_upload(page, url: str, name: str, data: bytes) -> tuple[float, float, str]:
    """Opens the Predict page afresh and uploads one JPEG.

    Returns:
        Seconds until its Prediction is shown, seconds until the app's run is over (every digit's boxes,
        steps and bars drawn), and the Prediction.
    """
    from playwright.sync_api import expect

    page.goto(f"{url}/Predict")
    page.get_by_role("tab", name="Upload images").click()
    panel = page.get_by_role("tabpanel", name="Upload images")
    uploader = panel.get_by_test_id("stFileUploaderDropzoneInput")
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=ANSWER_TIMEOUT_MS)
    started = time.perf_counter()
    uploader.set_input_files([{"name": name, "mimeType": "image/jpeg", "buffer": data}])
    page.wait_for_function(PREDICTION_SHOWN_JS, arg=panel.element_handle(), timeout=ANSWER_TIMEOUT_MS)
    answered = time.perf_counter() - started
    page.wait_for_function(RUN_OVER_JS, timeout=ANSWER_TIMEOUT_MS)
    finished = time.perf_counter() - started
    return answered, finished, panel.get_by_test_id("stMetricValue").first.inner_text().strip()


def time_uploads(runs_dir: Path, chromium: Path, pendigits: Path, photos: int, megapixels: float, seed: int) -> dict[str, Any]:
    """Serves the app with the run store `runs_dir` (the shipped model) and times `photos` uploads after a warm-up."""
    from playwright.sync_api import sync_playwright

    from bench.benchmark import streamlit_server

    per_condition = -(-(photos + 1) // len(CONDITIONS))  # one more photo for the warm-up
    chosen = stress_set(parse_pendigits(pendigits), per_condition, seed)[: photos + 1]
    files = [as_phone_jpeg(photo.image, megapixels) for photo in chosen]
    answered, finished, exact = [], [], 0
    with streamlit_server(runs_dir) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            time_upload(page, url, "warm-up.jpg", files[0])
            for number, (photo, data) in enumerate(zip(chosen[1:], files[1:])):
                to_answer, to_end, reading = time_upload(page, url, f"photo-{number}.jpg", data)
                answered.append(to_answer)
                finished.append(to_end)
                exact += reading == photo.label
                logger.info("%s (%d digits) read %s: answer %.2f s, run over %.2f s", photo.label, len(photo.label.replace("|", "")), reading, to_answer, to_end)
        finally:
            browser.close()
    return {
        "photos": len(answered),
        "megapixels": megapixels,
        "mean_file_mb": float(np.mean([len(data) for data in files[1:]]) / 1e6),
        "answer_p50_s": float(np.percentile(answered, 50)),
        "answer_p95_s": float(np.percentile(answered, 95)),
        "answer_max_s": float(max(answered)),
        "run_over_p50_s": float(np.percentile(finished, 50)),
        "run_over_p95_s": float(np.percentile(finished, 95)),
        "read_exactly": exact,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=22, help="photos timed, after one warm-up (default 22)")
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=0, help="which generated photos (bench.stress_photos)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each photo's times")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    found = pendigits_and_chromium()
    if found is None:
        return 2
    pendigits, chromium = found
    with tempfile.TemporaryDirectory() as runs:
        figures = time_uploads(Path(runs), chromium, pendigits, args.photos, args.megapixels, args.seed)
    print(
        f"Predict page, {figures['photos']} uploads of {figures['megapixels']:g} MP JPEGs "
        f"({figures['mean_file_mb']:.1f} MB on average), from the file handed to the page: "
        f"Prediction shown p50 {figures['answer_p50_s']:.2f} s, p95 {figures['answer_p95_s']:.2f} s, at most "
        f"{figures['answer_max_s']:.2f} s (target p95 <= {TARGET_P95_S} s); the run over, every digit's steps drawn, "
        f"p50 {figures['run_over_p50_s']:.2f} s, p95 {figures['run_over_p95_s']:.2f} s; {figures['read_exactly']} read exactly"
    )
    return 0 if figures["answer_p95_s"] <= TARGET_P95_S else 1


if __name__ == "__main__":
    sys.exit(main())
