"""Tests for core.realworld_report: reading a run's real-handwriting report in every format the bench wrote."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.realworld_report import (
    MISTAKES_FILE,
    NON_DIGITS,
    PENDIGITS_DEFAULT,
    REALWORLD_FILE,
    SEMEION_PHOTO,
    UJI_CANVAS,
    UJI_PHOTO,
    Confusion,
    Mistakes,
    commonest_confusions,
    headline_rows,
    read_realworld_report,
    save_mistakes,
)
from core.uncertainty import NOT_A_DIGIT
from tests.fixtures import REALWORLD_BEFORE_UJI


def _set(name: str, dataset: str, rendering: str, accuracy: float, n: int = 100, width=None, fill=None) -> dict:
    return {"name": name, "dataset": dataset, "rendering": rendering, "stroke_width": width, "fill": fill, "n": n,
            "correct": round(accuracy * n), "no_ink": 0, "accuracy": accuracy}


DEFAULT_PEN = _set("pendigits canvas, width 18, fill 0.7 (default)", "pendigits", "canvas", 0.98, width=18, fill=0.7)
REPORT = {
    "date": "2026-12-02T04:42:47+00:00",
    "limit": None,
    "sets": [
        DEFAULT_PEN,
        _set("pendigits canvas, width 8, fill 0.7", "pendigits", "canvas", 0.97, width=8, fill=0.7),
        DEFAULT_PEN,  # the bench lists the default pen in each series it belongs to
        _set("pendigits canvas, width 18, fill 0.3", "pendigits", "canvas", 0.96, width=18, fill=0.3),
        _set("semeion photo", "semeion", "photo", 0.93),
        _set("uji canvas, writers 41-60, width 18, fill 0.7 (default)", "uji", "canvas", 0.99, n=200, width=18, fill=0.7),
        _set("uji photo, writers 41-60", "uji", "photo", 0.975, n=200),
        _set("semeion plain resize", "semeion", "plain resize", 0.4),
    ],
    "not_sure_floor": 0.38,
    "not_sure_rates": {PENDIGITS_DEFAULT: 0.001, SEMEION_PHOTO: 0.03, UJI_CANVAS: 0.0025, UJI_PHOTO: 0.005,
                       NON_DIGITS: 0.45},
    "commonest_confusions": [
        {"true": 9, "predicted": 3, "count": 75, "by_set": {PENDIGITS_DEFAULT: 51, SEMEION_PHOTO: 24}},
        {"true": 1, "predicted": NOT_A_DIGIT, "count": 8, "by_set": {SEMEION_PHOTO: 8}},
    ],
}


def measured_run(folder: Path, document: dict | str = REPORT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else json.dumps(document)
    (folder / REALWORLD_FILE).write_text(text, encoding="utf-8")
    return folder


def _pictures(true: list[int], answers: list[int], sets: list[str]) -> Mistakes:
    images = np.arange(len(true))[:, None, None] * np.ones((1, 28, 28), np.uint8)  # (m, 28, 28), picture i all i
    return Mistakes(images.astype(np.uint8), np.array(true), np.array(answers), np.array(sets))


def test_a_report_reads_every_set_once_with_its_doubt_rate_and_confusions(tmp_path):
    report = read_realworld_report(measured_run(tmp_path))
    assert [item.name for item in report.sets].count(DEFAULT_PEN["name"]) == 1 and len(report.sets) == 7
    assert report.find("pendigits", "canvas").accuracy == 0.98
    assert report.find("uji", "photo").n == 200
    assert report.worst_pen_variation().fill == 0.3
    same_as_default = {**DEFAULT_PEN, "name": "pendigits canvas, width 30, fill 0.7", "stroke_width": 30}
    tied = read_realworld_report(measured_run(tmp_path / "tied", {**REPORT, "sets": [DEFAULT_PEN, same_as_default]}))
    assert tied.worst_pen_variation().stroke_width == 30  # a variation, never the default pen itself
    assert report.non_digit_rate() == (NON_DIGITS, 0.45)
    assert report.confusions[0] == Confusion(9, 3, 75, {PENDIGITS_DEFAULT: 51, SEMEION_PHOTO: 24})
    assert report.confusions[1].answer_label == "-" and report.confusions_are_complete
    assert len(report.mistakes.images) == 0  # measured without --record's pictures


def test_headline_rows_name_every_set_with_its_figures(tmp_path):
    rows = headline_rows(read_realworld_report(measured_run(tmp_path)), mnist_test_accuracy=0.995)
    assert [(row.name, row.n, row.accuracy, row.doubted) for row in rows] == [
        ("MNIST test", None, 0.995, None),
        ("pendigits, 30 writers, canvas strokes (default pen)", 100, 0.98, 0.001),
        ("pendigits, worst pen (width 18, fill 0.3)", 100, 0.96, None),
        ("UJI writers 41–60, canvas strokes", 200, 0.99, 0.0025),
        ("UJI writers 41–60, photos", 200, 0.975, 0.005),
        ("Semeion scans, as photos", 100, 0.93, 0.03),
        ("Non-digits (stroke-font letters and symbols)", None, None, 0.45),
    ]


def test_stored_mistake_pictures_read_back_by_confusion(tmp_path):
    folder = measured_run(tmp_path)
    save_mistakes(folder / MISTAKES_FILE, _pictures([9, 9, 1], [3, 3, NOT_A_DIGIT], [PENDIGITS_DEFAULT, SEMEION_PHOTO, SEMEION_PHOTO]))
    report = read_realworld_report(folder)
    nines = report.mistakes.of(report.confusions[0])
    assert nines.images.dtype == np.uint8 and nines.images.shape == (2, 28, 28)
    assert nines.set_names.tolist() == [PENDIGITS_DEFAULT, SEMEION_PHOTO] and nines.images[1].max() == 1
    assert report.mistakes.of(report.confusions[1]).true.tolist() == [1]


def test_the_shipped_models_report_from_before_uji_reads_without_uji_or_pictures(tmp_path):
    shutil.copy(REALWORLD_BEFORE_UJI, tmp_path / REALWORLD_FILE)
    report = read_realworld_report(tmp_path)
    assert report.find("pendigits", "canvas").accuracy == pytest.approx(0.9757, abs=1e-4)
    assert report.find("uji", "canvas") is None and len(report.mistakes.images) == 0
    assert (report.confusions[0].true, report.confusions[0].answer, report.confusions[0].count) == (1, 7, 95)  # 88 + 7
    assert report.non_digit_rate() == ("non-digits (letters, shapes, scribbles)", pytest.approx(0.0543, abs=1e-4))


def test_a_report_from_before_uji_and_the_merged_confusions_still_reads(tmp_path):
    older = {key: value for key, value in REPORT.items() if key != "commonest_confusions"}
    older["sets"] = [item for item in REPORT["sets"] if item["dataset"] != "uji"]
    older["not_sure_rates"] = {PENDIGITS_DEFAULT: 0.002, SEMEION_PHOTO: 0.007, "non-digits (letters, shapes, scribbles)": 0.05}
    older["pendigits_default"] = {"top_confusions": [{"true": 1, "predicted": 7, "count": 88}, {"true": 9, "predicted": 3, "count": 18}]}
    older["semeion_photo"] = {"top_confusions": [{"true": 9, "predicted": 3, "count": 23}]}
    report = read_realworld_report(measured_run(tmp_path, older))
    assert [(c.true, c.answer, c.count) for c in report.confusions] == [(1, 7, 88), (9, 3, 41)]
    assert report.confusions[1].by_set == {PENDIGITS_DEFAULT: 18, SEMEION_PHOTO: 23}
    assert not report.confusions_are_complete
    assert [row.name for row in headline_rows(report, 0.99)] == [
        "MNIST test", "pendigits, 30 writers, canvas strokes (default pen)", "pendigits, worst pen (width 18, fill 0.3)",
        "Semeion scans, as photos", "Non-digits (letters, shapes, scribbles)",
    ]


def test_a_run_never_measured_has_no_report(tmp_path):
    assert read_realworld_report(tmp_path) is None


@pytest.mark.parametrize("text", ["{broken", "[]", json.dumps({"sets": [{"name": "semeion photo"}]})])
def test_a_corrupt_report_is_logged_and_read_as_none(tmp_path, caplog, text):
    with caplog.at_level(logging.WARNING, logger="core.realworld_report"):
        assert read_realworld_report(measured_run(tmp_path, text)) is None
    assert REALWORLD_FILE in caplog.text


def test_corrupt_pictures_cost_the_pictures_not_the_figures(tmp_path, caplog):
    folder = measured_run(tmp_path)
    (folder / MISTAKES_FILE).write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING, logger="core.realworld_report"):
        report = read_realworld_report(folder)
    assert report.sets and len(report.mistakes.images) == 0 and MISTAKES_FILE in caplog.text


def test_commonest_confusions_count_over_sets_and_skip_digits_without_ink():
    found = commonest_confusions(
        {"a": (np.array([1, 1, 9, 9]), np.array([7, 7, 3, -1])), "b": (np.array([9, 1, 2]), np.array([3, 7, 2]))},
        count=5,
    )
    assert found == [Confusion(1, 7, 3, {"a": 2, "b": 1}), Confusion(9, 3, 2, {"a": 1, "b": 1})]
    assert commonest_confusions({"a": (np.array([1, 2]), np.array([7, 3]))}, count=1) == [Confusion(1, 7, 1, {"a": 1})]
