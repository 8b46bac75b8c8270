"""Tests for bench.realworld's records: the commonest confusions and the mistake pictures --record leaves for Home."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bench.realworld as realworld
import core.inference
from core.realworld_report import (
    MISTAKES_FILE,
    PENDIGITS_DEFAULT,
    REALWORLD_FILE,
    SEMEION_PHOTO,
    UJI_CANVAS,
    read_realworld_report,
)
from core.uncertainty import NOT_A_DIGIT


def _failure(labels: list[int], predictions: list[int], shade: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inputs = np.full((len(labels), 28, 28), shade, np.float32)  # (n, 28, 28), one grey per set to tell them apart
    return inputs, np.array(labels), np.array(predictions)


def tiny_report() -> realworld.BenchmarkReport:
    """Four sets of a few digits: 1 read as 7 five times in all, 9 as "not a digit" twice, 4 as 9 once."""
    pen = _failure([1, 1, 1, 9, 4, 2], [7, 7, 7, 9, 9, 2], 0.2)
    semeion = _failure([1, 9, 9, 0], [7, realworld.NO_PREDICTION, NOT_A_DIGIT, 0], 0.4)
    uji_canvas = _failure([1, 9, 3], [7, NOT_A_DIGIT, 3], 0.6)
    uji_photo = _failure([1, 1], [7, 7], 0.8)  # scored, but not among the confusion sets
    summary = {"per_class_accuracy": {}, "top_confusions": []}
    results = tuple(realworld._score(name, "x", "canvas", labels, predictions)
                    for name, (_, labels, predictions) in zip(realworld.FAILURE_SETS, (pen, semeion, uji_canvas, uji_photo)))
    return realworld.BenchmarkReport(results, summary, summary, summary, (pen, semeion, uji_canvas, uji_photo))


def test_confusions_count_over_pendigits_semeion_and_uji_canvas():
    confusions = realworld.report_confusions(tiny_report())
    assert [(c.true, c.answer, c.count) for c in confusions] == [(1, 7, 5), (9, NOT_A_DIGIT, 2), (4, 9, 1)]
    assert confusions[0].by_set == {PENDIGITS_DEFAULT: 3, SEMEION_PHOTO: 1, UJI_CANVAS: 1}


def test_mistake_pictures_take_each_set_in_turn_up_to_the_limit():
    report = tiny_report()
    pictures = realworld.mistake_pictures(report, realworld.report_confusions(report), per_confusion=4)
    assert pictures.set_names.tolist() == [PENDIGITS_DEFAULT, SEMEION_PHOTO, UJI_CANVAS, PENDIGITS_DEFAULT,
                                           SEMEION_PHOTO, UJI_CANVAS, PENDIGITS_DEFAULT]
    assert pictures.true.tolist() == [1, 1, 1, 1, 9, 9, 4] and pictures.answers.tolist()[4:] == [NOT_A_DIGIT] * 2 + [9]
    assert pictures.images.dtype == np.uint8 and pictures.images[:3, 0, 0].tolist() == [51, 102, 153]


@pytest.fixture()
def run_folder(tmp_path, monkeypatch):
    """A run folder whose model is never loaded: the benchmark and the model's answers are stand-ins."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(core.inference, "load_model", lambda path: None)
    monkeypatch.setattr(realworld, "run_benchmark", lambda model, limit, log: tiny_report())
    monkeypatch.setattr(realworld, "answers", lambda model, report: {"x": np.eye(10, dtype=np.float32)})
    return folder


def test_record_writes_the_figures_and_the_mistake_pictures_into_the_run_folder(run_folder, tmp_path, capsys):
    failures_png = tmp_path / "failures.png"

    assert realworld.main(["--model", str(run_folder), "--record", "--failures", str(failures_png)]) == 0
    assert "commonest confusions (pendigits, semeion, uji canvas): 1→7 ×5" in capsys.readouterr().out
    assert failures_png.stat().st_size > 0  # --failures is unchanged
    recorded = json.loads((run_folder / REALWORLD_FILE).read_text())
    assert recorded["commonest_confusions"][0] == {"true": 1, "predicted": 7, "count": 5,
                                                   "by_set": {PENDIGITS_DEFAULT: 3, SEMEION_PHOTO: 1, UJI_CANVAS: 1}}
    assert (run_folder / MISTAKES_FILE).stat().st_size < 20_000
    report = read_realworld_report(run_folder)
    assert len(report.mistakes.images) == 5 + 2 + 1 and report.mistakes.of(report.confusions[2]).true.tolist() == [4]


@pytest.mark.parametrize("flag", [[], ["--json", "out.json"]])
def test_without_record_no_pictures_are_written(run_folder, flag):
    assert realworld.main(["--model", str(run_folder), *flag]) == 0
    assert not (run_folder / MISTAKES_FILE).exists() and not (run_folder / REALWORLD_FILE).exists()
