"""A short soak of the real server: many predictions and repeated training start/stop cycles.

    python -m bench.soak [--predictions 200] [--cycles 3] [--limit-s 900]

Starts `streamlit run Home.py` on a free loopback port with a temporary run store, drives it from
Chromium, and samples the server's resident memory after each phase. Fails (exit 1) on any error
shown in the page or when a phase does not finish; stops itself after --limit-s seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from playwright.sync_api import Page, expect, sync_playwright

from bench.benchmark import PROJECT_ROOT, free_port, wait_for_health
from bench.chromium import CHROMIUM_ARGS, require_chromium
from core.data import load_sample

UPLOADS_PER_BATCH = 10


def resident_mb(pid: int) -> float:
    """The process's resident set size in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def digit_photos(count: int) -> list[tuple[str, bytes]]:
    """Real MNIST test digits enlarged as dark ink on white paper, PNG-encoded."""
    sample = load_sample()
    photos = []
    for index in range(count):
        paper = 255 - cv2.resize(np.pad(sample.x_test[index % len(sample.x_test)], 6), (200, 200))
        photos.append((f"digit-{index}.png", cv2.imencode(".png", paper)[1].tobytes()))
    return photos


def _no_error_in(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def predict_many(page: Page, url: str, count: int) -> None:
    """Uploads `count` images in batches and waits for a Prediction per image."""
    page.goto(f"{url}/Predict")
    page.get_by_role("tab", name="Upload images").click()
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    photos = digit_photos(count)
    for start in range(0, count, UPLOADS_PER_BATCH):
        batch = photos[start : start + UPLOADS_PER_BATCH]
        uploader.set_input_files([{"name": name, "mimeType": "image/png", "buffer": data} for name, data in batch])
        # The uploader keeps earlier files, so every image so far is predicted again on each rerun.
        metrics = page.locator('[data-testid="stMetric"]').filter(has_text="Prediction")
        expect(metrics).to_have_count(start + len(batch), timeout=120_000)
        _no_error_in(page)


def train_and_stop(page: Page, url: str) -> None:
    """Starts a training, stops it once it runs, and waits for the saved run."""
    page.goto(f"{url}/Train")
    start = page.get_by_role("button", name="Start training")
    expect(start).to_be_enabled(timeout=60_000)
    start.click()
    expect(page.get_by_text("state: running")).to_be_visible(timeout=120_000)
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("Saved run")).to_be_visible(timeout=300_000)
    _no_error_in(page)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--predictions", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--limit-s", type=float, default=900)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + args.limit_s
    with tempfile.TemporaryDirectory() as runs, sync_playwright() as playwright:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "Home.py", f"--server.port={port}", "--server.headless=true"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DIGIT_LAB_RUNS": runs},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        browser = playwright.chromium.launch(executable_path=str(require_chromium()), args=CHROMIUM_ARGS)
        try:
            wait_for_health(url)
            page = browser.new_page()
            page.set_default_timeout(max(1_000, (deadline - time.monotonic()) * 1000))
            page.goto(url)
            expect(page.get_by_text("Sample digits")).to_be_visible(timeout=60_000)
            print(f"start: {resident_mb(server.pid):,.0f} MB")
            predict_many(page, url, args.predictions)
            print(f"after {args.predictions} predictions: {resident_mb(server.pid):,.0f} MB")
            for cycle in range(1, args.cycles + 1):
                train_and_stop(page, url)
                print(f"after training start/stop cycle {cycle}: {resident_mb(server.pid):,.0f} MB")
            predict_many(page, url, args.predictions)
            print(f"after {args.predictions} more predictions: {resident_mb(server.pid):,.0f} MB")
            saved = sorted(path.name for path in Path(runs).iterdir() if path.is_dir())
            print(f"runs saved: {len(saved)}; leftover temporary folders: {sum(name.startswith('.') for name in saved)}")
        except Exception as error:  # report, then fail the command
            print(f"soak failed: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        finally:
            browser.close()
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
