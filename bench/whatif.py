"""What if's cost per slider change, and the robustness grid's time over the test set.

`python -m bench.whatif [--model core/assets/shipped_run] [--changes 200] [--grid-digits 10000]` prints
the p50 / p95 of each step of a change (bend the digit, the NumPy answer for it and the original,
Keras Grad-CAM) as What if's server-side work does it, then times the whole robustness grid.
The first change of each kind is left out: it loads TensorFlow or traces the model.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from core.data import load_mnist
from core.numpy_model import load_numpy_model
from core.perturbations import Perturbation, perturb
from core.runs import MODEL_FILE, SHIPPED_RUN_DIR

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def random_setting(rng: np.random.Generator) -> Perturbation:
    """A change as a user makes them: one to three sliders away from rest."""
    settings = {
        "rotation_deg": lambda: float(rng.uniform(-90, 90)),
        "scale": lambda: float(rng.uniform(0.4, 2.0)),
        "shift_x": lambda: float(rng.uniform(-10, 10)),
        "thickness": lambda: int(rng.integers(-3, 4)),
        "blur_sigma": lambda: float(rng.uniform(0, 3)),
        "noise_std": lambda: float(rng.uniform(0, 0.8)),
        "occlusion_size": lambda: int(rng.integers(0, 29)),
        "contrast": lambda: float(rng.uniform(0.05, 1)),
    }
    chosen = rng.choice(list(settings), size=int(rng.integers(1, 4)), replace=False)
    return Perturbation(**{name: settings[name]() for name in chosen}, occlusion_x=8, occlusion_y=8)


def percentiles_ms(seconds: list[float]) -> str:
    p50, p95 = np.percentile(np.array(seconds[1:]) * 1000, (50, 95))
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"


def time_changes(model_path: Path, images: np.ndarray, changes: int) -> None:
    from core.explain import build_explainer, grad_cam  # imports TensorFlow
    from core.inference import load_model

    predict = load_numpy_model(model_path).probabilities
    explainer = build_explainer(load_model(model_path))
    rng = np.random.default_rng(0)
    steps: dict[str, list[float]] = {"bend": [], "answer (NumPy, 2 digits)": [], "Grad-CAM (Keras)": [], "whole change": []}
    for number in range(changes):
        image = images[number % len(images)]
        started = time.perf_counter()
        bent = perturb(image, random_setting(rng))
        bent_at = time.perf_counter()
        probabilities = predict(np.stack([perturb(image, Perturbation()), bent]))
        answered_at = time.perf_counter()
        grad_cam(explainer, bent, int(probabilities[1].argmax()))
        done_at = time.perf_counter()
        steps["bend"].append(bent_at - started)
        steps["answer (NumPy, 2 digits)"].append(answered_at - bent_at)
        steps["Grad-CAM (Keras)"].append(done_at - answered_at)
        steps["whole change"].append(done_at - started)
    for name, seconds in steps.items():
        print(f"{name:28s} {percentiles_ms(seconds)}  ({changes - 1} changes)")


def time_grid(model_path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    from core.inference import load_model, predict_probabilities  # imports TensorFlow
    from core.robustness import robustness_grid

    model = load_model(model_path)
    predict_probabilities(model, images[:1000])  # traces the model outside the clock
    result = robustness_grid(lambda batch: predict_probabilities(model, batch), images, labels)
    answers = sum(len(set(curve.strengths)) for curve in result.curves) * len(images)
    print(f"robustness grid: {len(images):,} digits in {result.seconds:.1f} s ({answers / result.seconds:,.0f} answers/s at most)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=SHIPPED_RUN_DIR, help="a run folder")
    parser.add_argument("--changes", type=int, default=200, help="slider changes to time")
    parser.add_argument("--grid-digits", type=int, default=10_000, help="test digits for the grid; 0 skips it")
    args = parser.parse_args()
    data = load_mnist(fallback_to_sample=True)
    print(f"data: {data.source}; model: {args.model}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    time_changes(args.model / MODEL_FILE, data.x_test, args.changes)
    if args.grid_digits:
        time_grid(args.model / MODEL_FILE, data.x_test[: args.grid_digits], data.y_test[: args.grid_digits])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
