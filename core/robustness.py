"""How a model's answers hold up as digits drift from MNIST: accuracy curves per perturbation, and occlusion maps.

A curve is the test accuracy at each strength of one perturbation (`core.perturbations`), the others
left at rest. The grid of curves is stored with the run as `robustness.json`, replaced whole.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from core.mnist_format import IMAGE_SIDE
from core.perturbations import Perturbation, centred_corner, perturb
from core.runs import MODEL_FILE

logger = logging.getLogger(__name__)

ROBUSTNESS_FILE = "robustness.json"
BATCH_SIZE = 1000  # images per model call: bounds memory, and gives progress ten times over the test set

Predictor = Callable[[np.ndarray], np.ndarray]
"""(n, 28, 28) float32 in [0, 1] -> (n, 10) probabilities: a NumPy model's or Keras' answer."""

ProgressCallback = Callable[[float], None]
"""Called with the share of the grid done, in [0, 1]."""


@dataclass(frozen=True)
class Axis:
    """One perturbation swept over its strengths; `setting` turns a strength into a full setting."""

    name: str
    unit: str
    strengths: tuple[float, ...]
    setting: Callable[[float], Perturbation]


def _occlusion(size: float) -> Perturbation:
    """A centred square: the middle of the frame is where every digit has ink."""
    return Perturbation(occlusion_size=int(size), occlusion_x=centred_corner(int(size)), occlusion_y=centred_corner(int(size)))


AXES = (
    Axis("rotation", "degrees", (-60, -40, -20, 0, 20, 40, 60), lambda s: Perturbation(rotation_deg=s)),
    Axis("scale", "times", (0.5, 0.75, 1.0, 1.25, 1.5), lambda s: Perturbation(scale=s)),
    Axis("shift", "pixels right and down", (0, 2, 4, 6), lambda s: Perturbation(shift_x=s, shift_y=s)),
    Axis("thickness", "pixels", (-2, -1, 0, 1, 2), lambda s: Perturbation(thickness=int(s))),
    Axis("blur", "sigma in pixels", (0, 1.0, 2.0, 3.0), lambda s: Perturbation(blur_sigma=s)),
    Axis("noise", "standard deviation", (0, 0.2, 0.4, 0.6), lambda s: Perturbation(noise_std=s)),
    Axis("occlusion", "patch side in pixels", (0, 6, 10, 14), _occlusion),
    Axis("contrast", "factor", (1.0, 0.5, 0.25, 0.1), lambda s: Perturbation(contrast=s)),
)
"""The grid: 30 settings, the resting one shared by every axis and scored once (300,000 answers over the test set)."""


@dataclass(frozen=True)
class Curve:
    """Accuracy at each strength of one axis."""

    name: str
    unit: str
    strengths: tuple[float, ...]
    accuracy: tuple[float, ...]


@dataclass(frozen=True)
class RobustnessResult:
    """Every axis' curve, over how many test digits, and how long it took."""

    curves: tuple[Curve, ...]
    test_size: int
    seconds: float


def perturb_all(images: np.ndarray, perturbation: Perturbation, first_index: int = 0) -> np.ndarray:
    """(n, 28, 28) -> (n, 28, 28) float32; a batch draws its noise from the seed `first_index`, its place in the test set."""
    return perturb(images, replace(perturbation, noise_seed=first_index))


def accuracy_under(predict: Predictor, images: np.ndarray, labels: np.ndarray, perturbation: Perturbation) -> float:
    """The share of images still read right once perturbed.

    Batches are bent on a second thread while the model answers the ones before (NumPy and TensorFlow
    both let go of the interpreter), so the bending costs almost no time of its own.
    """
    starts = range(0, len(images), BATCH_SIZE)
    correct = 0
    with ThreadPoolExecutor(max_workers=1) as bender:
        bent = [bender.submit(perturb_all, images[start : start + BATCH_SIZE], perturbation, start) for start in starts]
        for start, batch in zip(starts, bent):
            correct += int(np.sum(predict(batch.result()).argmax(axis=1) == labels[start : start + BATCH_SIZE]))
    return correct / len(images)


def robustness_grid(
    predict: Predictor,
    images: np.ndarray,
    labels: np.ndarray,
    axes: Sequence[Axis] = AXES,
    on_progress: ProgressCallback | None = None,
) -> RobustnessResult:
    """Scores the model on every strength of every axis.

    Args:
        predict: the model's answer for a batch.
        images: (n, 28, 28) uint8 or float in [0, 1], the test digits.
        labels: (n,) their true digits.
        axes: the perturbations to sweep.
        on_progress: told the share done after each strength.

    Returns:
        One curve per axis, in the axes' order.

    Raises:
        ValueError: no images, or images and labels of different lengths.
    """
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError(f"Expected as many labels as images (at least one), got {len(images)} and {len(labels)}.")
    started = time.perf_counter()
    resting = Perturbation()
    settings = {(axis.name, strength): axis.setting(strength) for axis in axes for strength in axis.strengths}
    to_score = list(dict.fromkeys(settings.values()))  # the resting setting once, however many axes hold it
    scores: dict[Perturbation, float] = {}
    for done, setting in enumerate(to_score, start=1):
        scores[setting] = accuracy_under(predict, images, labels, setting)
        if on_progress is not None:
            on_progress(done / len(to_score))
    curves = tuple(
        Curve(axis.name, axis.unit, tuple(axis.strengths), tuple(scores[settings[axis.name, s]] for s in axis.strengths))
        for axis in axes
    )
    seconds = time.perf_counter() - started
    logger.info("robustness grid: %d settings over %d digits in %.1f s (resting accuracy %.4f)",
                len(to_score), len(images), seconds, scores.get(resting, float("nan")))
    return RobustnessResult(curves=curves, test_size=len(images), seconds=seconds)


def save_result(run_folder: Path, result: RobustnessResult) -> Path:
    """Writes `robustness.json` into a run folder: a temporary file, flushed, then renamed over the old one."""
    path = run_folder / ROBUSTNESS_FILE
    temporary = run_folder / f".{ROBUSTNESS_FILE}.pid{os.getpid()}.tmp"
    payload = {
        "test_size": result.test_size,
        "seconds": round(result.seconds, 2),
        "curves": [curve.__dict__ for curve in result.curves],
    }
    with temporary.open("w", encoding="utf-8") as file:
        json.dump(payload, file, indent=2)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return path


def load_result(run_folder: Path) -> RobustnessResult | None:
    """The stored curves of a run, or None when it was never measured (or the file does not read)."""
    path = run_folder / ROBUSTNESS_FILE
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        curves = tuple(
            Curve(str(c["name"]), str(c["unit"]), tuple(map(float, c["strengths"])), tuple(map(float, c["accuracy"])))
            for c in payload["curves"]
        )
        return RobustnessResult(curves=curves, test_size=int(payload["test_size"]), seconds=float(payload["seconds"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("%s does not read (%s); treating the run as not measured", path, error)
        return None


def measure_and_save(
    predict: Predictor, images: np.ndarray, labels: np.ndarray, run_folder: Path, on_progress: ProgressCallback | None = None
) -> RobustnessResult:
    """The whole background job in one call: the grid over the test set, stored with the run."""
    result = robustness_grid(predict, images, labels, on_progress=on_progress)
    save_result(run_folder, result)
    return result


def measure_run(run_folder: Path, images: np.ndarray, labels: np.ndarray, on_progress: ProgressCallback | None = None) -> RobustnessResult:
    """Measures a saved run's model and stores the curves with it: the one call the app's background job
    and the command line make.

    Keras answers here, not the NumPy pass: at a thousand digits a call it is several times faster, and
    traced into a graph once, since the grid calls it 310 times.

    Raises:
        ValueError: the run's model file is missing or does not load.
    """
    from core.inference import graph_predictor, load_model  # imports TensorFlow

    return measure_and_save(graph_predictor(load_model(run_folder / MODEL_FILE)), images, labels, run_folder, on_progress)


def occlusion_map(predict: Predictor, image: np.ndarray, size: int, digit: int | None = None) -> np.ndarray:
    """How much a size x size black patch centred on each pixel lowers the probability of one digit.

    Args:
        predict: the model's answer for a batch.
        image: (28, 28) uint8 or float in [0, 1].
        size: the patch's side in pixels, at least 1.
        digit: the class watched; None watches the digit predicted for the untouched image.

    Returns:
        (28, 28) float32: the drop in that digit's probability (negative where hiding helps it).

    Raises:
        ValueError: the image is not 28x28, or size < 1.
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}.")
    original = perturb(image, Perturbation())  # (28, 28) float32
    baseline = predict(original[np.newaxis])[0]  # (10,)
    digit = int(baseline.argmax()) if digit is None else digit
    corner = size // 2
    hidden = np.stack(
        [
            perturb(original, Perturbation(occlusion_size=size, occlusion_x=x - corner, occlusion_y=y - corner))
            for y in range(IMAGE_SIDE)
            for x in range(IMAGE_SIDE)
        ]
    )  # (784, 28, 28) float32
    return (baseline[digit] - predict(hidden)[:, digit]).reshape(IMAGE_SIDE, IMAGE_SIDE).astype(np.float32)
