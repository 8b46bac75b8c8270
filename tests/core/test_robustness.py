"""The robustness grid and occlusion map on a tiny model whose answers can be worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.perturbations import Perturbation
from core.robustness import (
    AXES,
    ROBUSTNESS_FILE,
    Axis,
    accuracy_under,
    load_result,
    measure_and_save,
    occlusion_map,
    perturb_all,
    robustness_grid,
)

SIDE = 28


def ink_detector(batch: np.ndarray) -> np.ndarray:
    """A tiny model: "1" with the share of the square's ink left in the middle 8x8, else "0"."""
    ink_left = np.clip(batch[:, 10:18, 10:18].sum(axis=(1, 2)) / 16.0, 0.0, 1.0)  # (n,)
    probabilities = np.zeros((len(batch), 10), np.float32)
    probabilities[:, 1] = ink_left
    probabilities[:, 0] = 1.0 - ink_left
    return probabilities


def _squares(count: int = 6) -> np.ndarray:
    """A bright 4x4 square at the centre (rows and columns 12..15) of each image."""
    images = np.zeros((count, SIDE, SIDE), np.uint8)
    images[:, 12:16, 12:16] = 255
    return images


def test_grid_curves_follow_what_each_perturbation_does_to_a_centred_square():
    images, labels = _squares(), np.ones(6, int)
    result = robustness_grid(ink_detector, images, labels)
    curves = {curve.name: dict(zip(curve.strengths, curve.accuracy)) for curve in result.curves}
    assert [curve.name for curve in result.curves] == [axis.name for axis in AXES]
    assert set(curves["rotation"].values()) == {1.0}  # a centred square stays in the middle at any angle
    assert curves["occlusion"] == {0: 1.0, 6: 0.0, 10: 0.0, 14: 0.0}  # a centred 6-pixel patch hides it whole
    assert curves["shift"][0] == 1.0 and curves["shift"][6] == 0.0  # moved out of the middle 8x8
    assert curves["scale"][0.5] == 0.0 and curves["scale"][1.5] == 1.0  # 2x2 of ink is under half the square's
    assert result.test_size == 6


def test_grid_matches_scoring_each_setting_alone_and_scores_the_resting_setting_once():
    images = np.random.default_rng(0).integers(0, 256, (7, SIDE, SIDE)).astype(np.uint8)
    labels = np.array([0, 1, 0, 1, 1, 0, 1])
    calls: list[int] = []

    def counting(batch: np.ndarray) -> np.ndarray:
        calls.append(len(batch))
        return ink_detector(batch)

    axes = (
        Axis("blur", "sigma", (0.0, 1.0), lambda s: Perturbation(blur_sigma=s)),
        Axis("noise", "std", (0.0, 0.3), lambda s: Perturbation(noise_std=s)),
    )
    progress: list[float] = []
    result = robustness_grid(counting, images, labels, axes=axes, on_progress=progress.append)
    assert len(calls) == 3  # resting, blur 1, noise 0.3
    assert progress == pytest.approx([1 / 3, 2 / 3, 1.0])
    for curve, axis in zip(result.curves, axes):
        expected = [accuracy_under(ink_detector, images, labels, axis.setting(s)) for s in axis.strengths]
        assert list(curve.accuracy) == expected


def test_noise_differs_between_images_but_not_between_runs():
    images = np.zeros((2, SIDE, SIDE), np.uint8)
    first = perturb_all(images, Perturbation(noise_std=0.2))
    assert not np.array_equal(first[0], first[1])
    np.testing.assert_array_equal(first, perturb_all(images, Perturbation(noise_std=0.2)))


def test_grid_is_saved_atomically_with_the_run_and_reads_back(tmp_path):
    result = measure_and_save(ink_detector, _squares(3), np.ones(3, int), tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == [ROBUSTNESS_FILE]  # no temporary file left
    assert load_result(tmp_path).curves == result.curves
    assert json.loads((tmp_path / ROBUSTNESS_FILE).read_text())["test_size"] == 3


def test_missing_or_broken_file_reads_as_not_measured(tmp_path):
    assert load_result(tmp_path) is None
    (tmp_path / ROBUSTNESS_FILE).write_text("{not json")
    assert load_result(tmp_path) is None


def test_grid_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="labels"):
        robustness_grid(ink_detector, _squares(2), np.ones(3, int))


def test_occlusion_map_is_hottest_over_the_ink_and_cold_far_from_it():
    heat = occlusion_map(ink_detector, _squares(1)[0], size=4)
    assert heat.shape == (SIDE, SIDE)
    assert heat[14, 14] == pytest.approx(1.0)  # a patch centred there hides the whole square
    assert heat[2, 2] == 0.0 and heat[25, 3] == 0.0
    assert heat[12, 12] == pytest.approx(4 / 16)  # the patch covers rows and columns 10..13: 2x2 of the 16 ink pixels
    with pytest.raises(ValueError, match="size"):
        occlusion_map(ink_detector, _squares(1)[0], size=0)
