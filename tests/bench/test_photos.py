"""Tests for bench.photos on synthetic photos in a temporary folder with its own manifest (never the real ones)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.dev_data import DEV_DATA_ENV_VAR
from bench.photos import (
    OVERALL,
    MANIFEST_FILE,
    PhotoResult,
    edit_distance,
    main,
    read_manifest,
    run_benchmark,
    scores_by_source,
)


def _bar_photo(path: Path, bars: int) -> None:
    """`bars` thick dark vertical bars side by side on white paper: a "1", "11", ... as photographed."""
    paper = np.full((160, 40 + 80 * bars, 3), 255, np.uint8)
    for index in range(bars):
        x = 60 + 80 * index
        cv2.line(paper, (x, 25), (x - 2, 135), (20, 20, 20), thickness=14)
    assert cv2.imwrite(str(path), paper)


@pytest.fixture
def photos_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A development-data folder holding three synthetic photos and one broken file, with a manifest."""
    folder = tmp_path / MANIFEST_FILE.parent
    folder.mkdir()
    _bar_photo(folder / "one.png", 1)
    _bar_photo(folder / "eleven.png", 2)
    _bar_photo(folder / "three_ones.png", 3)
    (folder / "broken.png").write_text("not a picture", encoding="utf-8")
    rows = [
        ("one.png", "1", "github:a/singles@0123:one.png", "single"),
        ("eleven.png", "11", "github:b/numbers@0123:eleven.png", "multi"),
        ("three_ones.png", "1|11", "github:b/numbers@0123:three_ones.png", "multi"),
        ("broken.png", "7", "github:a/singles@0123:broken.png", "single"),
    ]
    with (tmp_path / MANIFEST_FILE).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "label", "source", "kind", "label_from", "licence", "notes"])
        writer.writerows([(*row, "visual", "none", "") for row in rows])
    monkeypatch.setenv(DEV_DATA_ENV_VAR, str(tmp_path))
    return folder


def _always(digit: int):
    """A stand-in model that answers `digit` with certainty for every input."""

    def predict(batch: np.ndarray) -> np.ndarray:
        probabilities = np.zeros((len(batch), 10), np.float32)
        probabilities[:, digit] = 1.0
        return probabilities

    return predict


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [("", "", 0), ("123", "123", 0), ("123", "13", 1), ("123", "1234", 1), ("123", "193", 1), ("12", "", 2), ("ab", "ba", 2)],
)
def test_edit_distance_counts_insertions_deletions_and_substitutions(first, second, distance):
    assert edit_distance(first, second) == distance == edit_distance(second, first)


def test_manifest_rows_keep_the_repository_as_source(photos_dir):
    photos = read_manifest(photos_dir.parent / MANIFEST_FILE)
    assert [photo.source for photo in photos] == ["a/singles", "b/numbers", "b/numbers", "a/singles"]
    assert photos[2].label == "1|11" and photos[2].path == photos_dir / "three_ones.png"


def test_scores_count_exact_readings_digits_and_errors(photos_dir):
    results = run_benchmark(read_manifest(photos_dir.parent / MANIFEST_FILE), _always(1), not_sure_floor=0.5)
    by_source = {entry.source: entry for entry in scores_by_source(results)}
    singles, numbers, overall = by_source["a/singles"], by_source["b/numbers"], by_source[OVERALL]
    assert (singles.singles, singles.single_accuracy, singles.errors, singles.tracebacks) == (2, 0.5, 1, 0)
    assert numbers.multis == 2 and numbers.digits == 5
    # "11" is exact; "111" for "1|11" has every digit right but misses the line break.
    assert numbers.multi_exact == 0.5 and numbers.digit_level == 1.0
    assert overall.singles == 2 and overall.multis == 2 and overall.p95_seconds >= overall.mean_seconds > 0


def test_a_wrong_digit_costs_one_digit_and_never_more_than_the_photo_holds():
    wrong = PhotoResult("x", "s", "multi", "1234", "1934", 0.1, "", False)
    nothing = PhotoResult("y", "s", "multi", "12", "99999", 0.1, "", False)
    assert (wrong.digits_right, nothing.digits_right) == (3, 0)


def test_main_reads_the_photos_with_the_shipped_model_and_writes_json(photos_dir, tmp_path, capsys):
    out = tmp_path / "results.json"
    status = main(["--json", str(out)])
    table = capsys.readouterr().out
    assert status == 1  # the broken file is an error message
    assert table.splitlines()[0].startswith("| source | single |") and f"| {OVERALL} |" in table
    report = json.loads(out.read_text(encoding="utf-8"))
    readings = {photo["path"]: photo["reading"] for photo in report["photos"]}
    assert readings["one.png"] == "1" and readings["broken.png"] == ""
    assert [entry["source"] for entry in report["scores"]] == ["a/singles", "b/numbers", OVERALL]
