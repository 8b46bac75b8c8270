"""A run's real-handwriting report, as `python -m bench.realworld --record` leaves it in the run folder.

This module owns the two files' format: the bench writes them, Home reads them (no TensorFlow, no
measuring data: users' machines have neither pendigits nor Semeion, only these files).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from core.mnist_format import IMAGE_SIDE
from core.uncertainty import NOT_A_DIGIT, NOT_A_DIGIT_LABEL

logger = logging.getLogger(__name__)

REALWORLD_FILE = "realworld.json"
MISTAKES_FILE = "realworld_mistakes.npz"

# The short names of the sets whose answers the bench keeps: keys of "not_sure_rates" and of each confusion's
# "by_set", and the `set_names` of the stored mistakes.
PENDIGITS_DEFAULT = "pendigits canvas (default)"
SEMEION_PHOTO = "semeion photo"
UJI_CANVAS = "uji canvas (default)"
UJI_PHOTO = "uji photo"
NON_DIGITS = "non-digits (stroke-font letters and symbols)"
CONFUSION_SETS = (PENDIGITS_DEFAULT, SEMEION_PHOTO, UJI_CANVAS)
"""The sets whose mistakes are counted together as the model's commonest confusions."""
SET_LABELS = {PENDIGITS_DEFAULT: "pendigits", SEMEION_PHOTO: "Semeion", UJI_CANVAS: "UJI"}
"""How Home names the confusion sets in a caption."""
_NON_DIGITS_PREFIX = "non-digits"  # older reports named their non-digits differently
_CONFUSION_SUMMARIES = {PENDIGITS_DEFAULT: "pendigits_default", SEMEION_PHOTO: "semeion_photo", UJI_CANVAS: "uji_canvas"}


@dataclass(frozen=True)
class SetResult:
    """Accuracy of the model on one rendering of one real-handwriting dataset."""

    name: str  # the bench's full name, e.g. "pendigits canvas, width 18, fill 0.7 (default)"
    dataset: str  # "pendigits", "semeion" or "uji"
    rendering: str  # "canvas", "photo" or "plain resize"
    stroke_width: int | None  # canvas sets only
    fill: float | None  # canvas sets only
    n: int
    correct: int
    no_ink: int  # digits the pipeline rejected as blank, counted wrong

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else float("nan")

    @property
    def is_default_pen(self) -> bool:
        return self.name.endswith("(default)")


@dataclass(frozen=True)
class Confusion:
    """One kind of mistake: real `true` digits answered `answer` (a digit, or `NOT_A_DIGIT`)."""

    true: int
    answer: int
    count: int
    by_set: Mapping[str, int]  # how many of `count` each set contributed

    @property
    def answer_label(self) -> str:
        """The answer as the app writes it: the digit, or "-" for "not a digit"."""
        return NOT_A_DIGIT_LABEL if self.answer == NOT_A_DIGIT else str(self.answer)


@dataclass(frozen=True)
class Mistakes:
    """Pictures of some mistakes: the model's own 28x28 inputs, so they show what the model saw."""

    images: np.ndarray  # (m, 28, 28) uint8, ink bright
    true: np.ndarray  # (m,) int64
    answers: np.ndarray  # (m,) int64, a digit or NOT_A_DIGIT
    set_names: np.ndarray  # (m,) str, one of CONFUSION_SETS

    def __post_init__(self) -> None:
        count = len(self.images)
        if self.images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or not (
            len(self.true) == len(self.answers) == len(self.set_names) == count
        ):
            raise ValueError(f"Mistake pictures must be (m, {IMAGE_SIDE}, {IMAGE_SIDE}) with m labels, answers and sets.")

    def of(self, confusion: Confusion) -> Mistakes:
        """The pictures of one kind of mistake."""
        chosen = (self.true == confusion.true) & (self.answers == confusion.answer)
        return Mistakes(self.images[chosen], self.true[chosen], self.answers[chosen], self.set_names[chosen])


NO_MISTAKES = Mistakes(np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64),
                       np.zeros(0, str))


@dataclass(frozen=True)
class RealworldReport:
    """Every figure Home shows about a run's real handwriting, from one bench run."""

    date: str  # ISO 8601, UTC
    limit: int | None  # the bench's --limit: a subset of each dataset, or None for all of it
    sets: tuple[SetResult, ...]  # each once, in the bench's order
    doubt_rates: Mapping[str, float]  # short set name -> share answered "not sure" or "not a digit"
    not_sure_floor: float | None
    confusions: tuple[Confusion, ...]  # commonest first
    confusions_are_complete: bool  # False for older reports, which kept only each set's five commonest
    mistakes: Mistakes = field(default=NO_MISTAKES)

    def find(self, dataset: str, rendering: str, *, default_pen: bool = True) -> SetResult | None:
        """The set of `dataset` drawn as `rendering` (the default pen among canvas variations), if measured."""
        matches = [item for item in self.sets if item.dataset == dataset and item.rendering == rendering]
        if rendering == "canvas":
            matches = [item for item in matches if item.is_default_pen == default_pen]
        return matches[0] if matches else None

    def worst_pen_variation(self) -> SetResult | None:
        """The pendigits pen width or fill other than the default the model reads worst, if they were measured."""
        variations = [item for item in self.sets
                      if item.dataset == "pendigits" and item.rendering == "canvas" and not item.is_default_pen]
        return min(variations, key=lambda item: item.accuracy) if variations else None

    def non_digit_rate(self) -> tuple[str, float] | None:
        """The non-digits' name and their share answered "not a digit" or "not sure" (higher is better)."""
        found = [(name, rate) for name, rate in self.doubt_rates.items() if name.startswith(_NON_DIGITS_PREFIX)]
        return found[0] if found else None


@dataclass(frozen=True)
class HeadlineRow:
    """One line of Home's real-handwriting table."""

    name: str
    n: int | None  # None where the report does not say
    accuracy: float | None  # None for the non-digits, which have no digit to get right
    doubted: float | None  # share answered "not sure" or "not a digit"; None where not measured


def headline_rows(report: RealworldReport, mnist_test_accuracy: float) -> list[HeadlineRow]:
    """The issue's headline figures, each set named: MNIST test, then every real-handwriting set the report has.

    Sets an older report lacks (UJI, the doubt rates) are left out or left blank rather than guessed.
    """
    rows = [HeadlineRow("MNIST test", None, mnist_test_accuracy, None)]
    worst = report.worst_pen_variation()
    named = [
        ("pendigits, 30 writers, canvas strokes (default pen)", report.find("pendigits", "canvas"), PENDIGITS_DEFAULT),
        (f"pendigits, worst pen (width {worst.stroke_width}, fill {worst.fill})" if worst else "", worst, None),
        ("UJI writers 41–60, canvas strokes", report.find("uji", "canvas"), UJI_CANVAS),
        ("UJI writers 41–60, photos", report.find("uji", "photo"), UJI_PHOTO),
        ("Semeion scans, as photos", report.find("semeion", "photo"), SEMEION_PHOTO),
    ]
    rows += [HeadlineRow(name, found.n, found.accuracy, report.doubt_rates.get(rate_key) if rate_key else None)
             for name, found, rate_key in named if found is not None]
    non_digits = report.non_digit_rate()
    if non_digits is not None:
        rows.append(HeadlineRow(non_digits[0].capitalize(), None, None, non_digits[1]))
    return rows


def commonest_confusions(named_answers: Mapping[str, tuple[np.ndarray, np.ndarray]], count: int) -> list[Confusion]:
    """The `count` commonest (true, answer) mistakes over several sets, most frequent first; ties by digits.

    Args:
        named_answers: set name -> ((n,) true labels, (n,) answers); negative answers (no ink) are not confusions.
        count: how many to keep.
    """
    by_pair: dict[tuple[int, int], Counter[str]] = {}
    for name, (labels, answers) in named_answers.items():
        wrong = (labels != answers) & (answers >= 0)
        for true, answer in zip(labels[wrong].tolist(), answers[wrong].tolist()):
            by_pair.setdefault((true, answer), Counter())[name] += 1
    return _ranked(by_pair)[:count]


def _ranked(by_pair: Mapping[tuple[int, int], Mapping[str, int]]) -> list[Confusion]:
    """Confusions from counts per (true, answer) and set, most frequent first; ties by true then answered digit."""
    ranked = sorted(by_pair.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [Confusion(true, answer, sum(sets.values()), dict(sets)) for (true, answer), sets in ranked]


def confusion_to_json(confusion: Confusion) -> dict[str, Any]:
    return {"true": confusion.true, "predicted": confusion.answer, "count": confusion.count,
            "by_set": dict(confusion.by_set)}


def save_mistakes(path: Path, mistakes: Mistakes) -> None:
    """Writes mistake pictures as a compressed `.npz` (a few kilobytes: it travels with the run)."""
    np.savez_compressed(path, images=mistakes.images.astype(np.uint8), true=mistakes.true.astype(np.int64),
                        answers=mistakes.answers.astype(np.int64), set_names=mistakes.set_names.astype(str))


def _read_mistakes(path: Path) -> Mistakes:
    if not path.exists():
        return NO_MISTAKES
    try:
        with np.load(path, allow_pickle=False) as stored:
            return Mistakes(stored["images"].astype(np.uint8), stored["true"].astype(np.int64),
                            stored["answers"].astype(np.int64), stored["set_names"].astype(str))
    except (OSError, ValueError, KeyError) as error:  # a broken picture file costs the pictures, not the figures
        logger.warning("Cannot read the mistake pictures %s (%s)", path, error)
        return NO_MISTAKES


def _measured_sets(items: Sequence[Mapping[str, Any]]) -> tuple[SetResult, ...]:
    by_name: dict[str, SetResult] = {}  # the bench lists the default pen once per series it belongs to
    for item in items:
        width, fill = item.get("stroke_width"), item.get("fill")
        by_name.setdefault(str(item["name"]), SetResult(
            name=str(item["name"]), dataset=str(item["dataset"]), rendering=str(item["rendering"]),
            stroke_width=None if width is None else int(width), fill=None if fill is None else float(fill),
            n=int(item["n"]), correct=int(item["correct"]), no_ink=int(item.get("no_ink", 0)),
        ))
    return tuple(by_name.values())


def _confusions(document: Mapping[str, Any]) -> tuple[tuple[Confusion, ...], bool]:
    """The recorded commonest confusions; for an older report, each set's own top five summed."""
    if "commonest_confusions" in document:
        return tuple(
            Confusion(int(item["true"]), int(item["predicted"]), int(item["count"]),
                      {str(name): int(count) for name, count in item["by_set"].items()})
            for item in document["commonest_confusions"]
        ), True
    by_pair: dict[tuple[int, int], dict[str, int]] = {}
    for name, key in _CONFUSION_SUMMARIES.items():
        for item in document.get(key, {}).get("top_confusions", []):
            by_pair.setdefault((int(item["true"]), int(item["predicted"])), {})[name] = int(item["count"])
    return tuple(_ranked(by_pair)), False


def read_realworld_report(run_folder: Path) -> RealworldReport | None:
    """The real-handwriting report in a run folder; None if the run was never measured or its report is unreadable.

    Reads every format the bench has written: reports from before UJI and the mistake pictures lack those parts.
    """
    path = run_folder / REALWORLD_FILE
    if not path.exists():
        logger.debug("Run %s was never measured on real handwriting", run_folder.name)
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        confusions, complete = _confusions(document)
        floor = document.get("not_sure_floor")
        return RealworldReport(
            date=str(document.get("date", "")),
            limit=document.get("limit"),
            sets=_measured_sets(document["sets"]),
            doubt_rates={str(name): float(rate) for name, rate in document.get("not_sure_rates", {}).items()},
            not_sure_floor=None if floor is None else float(floor),
            confusions=confusions,
            confusions_are_complete=complete,
            mistakes=_read_mistakes(run_folder / MISTAKES_FILE),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning("Cannot read the real-handwriting report %s (%s)", path, error)
        return None
