"""Digit Lab's performance benchmark: training speed, inference latency and app start-up.

    python -m bench.benchmark [--skip-training] [--skip-app] [--max-epochs N] [--canvas-drawings N] [--json PATH]

Prints a markdown table and writes every figure as JSON (default bench/results/benchmark.json).
Needs full MNIST ($DIGIT_LAB_MNIST), the pendigits file of the development data ($DIGIT_LAB_DEV_DATA, see
bench/dev_data.py) for the inference and canvas figures and, for the app figures, Debian's Chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from bench.chromium import CHROMIUM_ARGS, require_chromium
from bench.dev_data import PENDIGITS_FILE, PROJECT_ROOT, dev_data_file
from core.recipes import RECIPES

TARGET_ACCURACY = 0.99  # issue 17: `fast` within 10 s
BEST_TARGET_ACCURACY = 0.995  # issue 17: `best` within 3 minutes


# ---- training ------------------------------------------------------------------------------


def time_training(architecture: str, max_epochs: int | None) -> dict[str, Any]:
    """Trains one architecture in a fresh process (clean peak memory) and returns its figures."""
    command = [sys.executable, "-m", "bench.train_timing", "--arch", architecture]
    if max_epochs:
        command += ["--epochs", str(max_epochs)]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    figures = json.loads(completed.stdout)
    figures["seconds_to_99"] = seconds_to(figures, TARGET_ACCURACY)
    figures["seconds_to_99_5"] = seconds_to(figures, BEST_TARGET_ACCURACY)
    return figures


def seconds_to(figures: dict[str, Any], accuracy: float) -> float | None:
    """The training time at the end of the first epoch whose test accuracy reached `accuracy`, if any did."""
    reached = [epoch for epoch in figures["epochs"] if epoch["test_accuracy"] >= accuracy]
    return reached[0]["training_s"] if reached else None


# ---- inference -----------------------------------------------------------------------------


def canvas_drawing(pendigits: Path) -> np.ndarray:
    """A real pen-tablet digit (the file's first) rasterised as the canvas would send it, (280, 280, 4) uint8."""
    from bench.handwriting import parse_pendigits, rasterise_pen_digit

    return rasterise_pen_digit(parse_pendigits(pendigits)[0])


def _latencies_ms(answer: Callable[[], object], repeats: int) -> list[float]:
    for _ in range(10):  # warm-up: first calls trace the model or fill caches
        answer()
    latencies = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def time_inference(pendigits: Path, repeats: int = 300) -> dict[str, Any]:
    """Latency of the Predict page's path for one drawing from `pendigits`, and batched test-set throughput."""
    from core.data import load_mnist
    from core.inference import load_model, predict_probabilities
    from core.numpy_model import load_predictor
    from core.runs import MODEL_FILE, SHIPPED_RUN_DIR
    from core.segmentation import segment_digits

    drawing = canvas_drawing(pendigits)
    predict = load_predictor(SHIPPED_RUN_DIR / MODEL_FILE)  # what Predict and the CLI use
    model = load_model(SHIPPED_RUN_DIR / MODEL_FILE)  # Keras, for comparison and for evaluation

    def drawing_inputs() -> np.ndarray:
        """The drawing through the Predict page's preprocessing, timed with the model on every call."""
        return np.stack([found.preprocessed.model_input for found in segment_digits(drawing)])

    latencies = _latencies_ms(lambda: predict(drawing_inputs()), repeats)
    keras_latencies = _latencies_ms(lambda: predict_probabilities(model, drawing_inputs()), repeats)
    test = load_mnist(fallback_to_sample=False).x_test
    started = time.perf_counter()
    predict_probabilities(model, test)
    evaluation_s = time.perf_counter() - started
    return {
        "canvas_p50_ms": float(np.percentile(latencies, 50)),
        "canvas_p95_ms": float(np.percentile(latencies, 95)),
        "canvas_keras_p95_ms": float(np.percentile(keras_latencies, 95)),
        "test_set_images": len(test),
        "test_set_seconds": evaluation_s,
        "test_set_images_per_second": len(test) / evaluation_s,
    }


# ---- app -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_health(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("the Streamlit server never answered its health check")


@contextmanager
def streamlit_server(runs_dir: Path) -> Iterator[str]:
    """`streamlit run Home.py` on a free port with the run store `runs_dir`; yields its address once healthy."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", f"--server.port={port}", "--server.headless=true"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DIGIT_LAB_RUNS": str(runs_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def time_app(tmp_runs: Path, chromium: Path) -> dict[str, Any]:
    """Server start → health → Home rendered → first Predict answer, in a real Chromium."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        started = time.perf_counter()
        try:
            with streamlit_server(tmp_runs) as url:
                healthy = time.perf_counter()
                page = browser.new_page()
                page.goto(url)
                expect(page.get_by_text("Sample digits")).to_be_visible(timeout=60_000)
                home = time.perf_counter()
                page.goto(f"{url}/Predict")
                surface = page.locator("canvas.upper-canvas")
                expect(surface).to_be_visible(timeout=60_000)
                box = surface.bounding_box()
                page.mouse.move(box["x"] + 140, box["y"] + 40)
                page.mouse.down()
                page.mouse.move(box["x"] + 140, box["y"] + 240, steps=12)
                page.mouse.up()
                expect(page.locator('[data-testid="stMetric"]', has_text="Prediction")).to_be_visible(timeout=60_000)
                answered = time.perf_counter()
        finally:
            browser.close()
    return {
        "server_start_to_health_s": healthy - started,
        "home_rendered_after_health_s": home - healthy,
        "first_predict_answer_after_health_s": answered - healthy,
    }


# ---- report --------------------------------------------------------------------------------


def _seconds(seconds: float | None) -> str:
    return "not reached" if seconds is None else f"{seconds:.1f}"


def markdown_report(results: dict[str, Any]) -> str:
    lines = []
    training = results.get("training")
    if training:
        seed_time = training.get("seed", {}).get("seconds_to_99")
        lines += [
            (
                "| architecture | params | images/s | s/epoch | test accuracy by epoch | s to 99.0% | vs seed "
                "| s to 99.5% | data and network before the epochs, s | whole run s | peak MB |"
            ),
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, figures in training.items():
            curve = " ".join(f"{epoch['test_accuracy']:.2%}" for epoch in figures["epochs"])
            to_99, to_99_5 = figures["seconds_to_99"], figures.get("seconds_to_99_5")
            ratio = f"{seed_time / to_99:.1f}x" if to_99 and seed_time else "–"
            lines.append(
                f"| {name} | {figures['parameters']:,} | {figures['images_per_second']:,.0f} | "
                f"{figures['seconds_per_epoch']:.1f} | {curve} | {_seconds(to_99)} | {ratio} | {_seconds(to_99_5)} | "
                f"{figures['preparation_seconds']:.1f} | {figures['run_seconds']:.1f} | {figures['peak_memory_mb']:,.0f} |"
            )
        lines.append("")
    inference = results.get("inference")
    if inference:
        lines += [
            "| inference | figure |",
            "|---|---:|",
            f"| one canvas drawing, preprocessing + model, p50 | {inference['canvas_p50_ms']:.1f} ms |",
            f"| one canvas drawing, preprocessing + model, p95 | {inference['canvas_p95_ms']:.1f} ms |",
            f"| the same through Keras instead of NumPy, p95 | {inference['canvas_keras_p95_ms']:.1f} ms |",
            f"| {inference['test_set_images']:,} test images, batched | {inference['test_set_seconds']:.2f} s "
            f"({inference['test_set_images_per_second']:,.0f} images/s) |",
            "",
        ]
    app = results.get("app")
    if app:
        lines += [
            "| app (real Chromium) | seconds |",
            "|---|---:|",
            f"| `streamlit run Home.py` to health check | {app['server_start_to_health_s']:.2f} |",
            f"| health check to Home rendered | {app['home_rendered_after_health_s']:.2f} |",
            f"| health check to first Predict answer | {app['first_predict_answer_after_health_s']:.2f} |",
        ]
    canvas = results.get("canvas")
    if canvas:
        from bench.canvas_latency import report_lines

        if not app:
            lines += ["| app (real Chromium) | seconds |", "|---|---:|"]
        lines += report_lines(canvas)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-inference", action="store_true")
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--architectures", nargs="+", default=list(RECIPES))
    parser.add_argument("--max-epochs", type=int, help="cap every recipe's epochs (quick runs)")
    parser.add_argument("--canvas-drawings", type=int, default=100, help="pen digits drawn on Predict's canvas")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "bench" / "results" / "benchmark.json")
    args = parser.parse_args()
    try:  # before any training, which takes minutes
        pendigits = None if args.skip_inference and args.skip_app else dev_data_file(PENDIGITS_FILE)
        chromium = None if args.skip_app else require_chromium()
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(), "python": platform.python_version()},
        "command": " ".join(["python -m bench.benchmark", *sys.argv[1:]]),
    }
    if not args.skip_training:
        results["training"] = {}
        for architecture in args.architectures:
            print(f"training {architecture}…", file=sys.stderr, flush=True)
            results["training"][architecture] = time_training(architecture, args.max_epochs)
    if not args.skip_inference:
        print("inference…", file=sys.stderr, flush=True)
        results["inference"] = time_inference(pendigits)
    if not args.skip_app:
        print("app start-up…", file=sys.stderr, flush=True)
        import tempfile

        with tempfile.TemporaryDirectory() as runs:
            results["app"] = time_app(Path(runs), chromium)
        print("canvas answers…", file=sys.stderr, flush=True)
        from bench.canvas_latency import time_canvas

        with tempfile.TemporaryDirectory() as runs:
            results["canvas"] = time_canvas(Path(runs), chromium, pendigits, args.canvas_drawings)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(markdown_report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
