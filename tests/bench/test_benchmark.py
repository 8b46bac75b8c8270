"""Tests for bench.benchmark's training table: the times to each bar and the ratio against `seed`."""

from __future__ import annotations

from bench.benchmark import BEST_TARGET_ACCURACY, TARGET_ACCURACY, markdown_report, seconds_to


def _figures(curve: list[float], seconds_per_epoch: float) -> dict:
    """What bench.train_timing prints for one architecture, then what time_training adds."""
    figures = {
        "parameters": 1000,
        "images_per_second": 54_000 / seconds_per_epoch,
        "seconds_per_epoch": seconds_per_epoch,
        "preparation_seconds": 1.5,
        "run_seconds": seconds_per_epoch * len(curve) + 5.0,
        "peak_memory_mb": 1200.0,
        "epochs": [
            {"epoch": index + 1, "training_s": seconds_per_epoch * (index + 1), "test_accuracy": accuracy}
            for index, accuracy in enumerate(curve)
        ],
    }
    figures["seconds_to_99"] = seconds_to(figures, TARGET_ACCURACY)
    figures["seconds_to_99_5"] = seconds_to(figures, BEST_TARGET_ACCURACY)
    return figures


def test_seconds_to_is_the_first_epoch_at_the_bar_or_none():
    figures = _figures([0.985, 0.991, 0.989, 0.996], seconds_per_epoch=10.0)
    assert seconds_to(figures, 0.99) == 20.0  # the second epoch, although the third fell back
    assert seconds_to(figures, 0.995) == 40.0
    assert seconds_to(figures, 0.999) is None


def test_the_table_gives_each_bar_and_the_ratio_against_seed():
    report = markdown_report(
        {"training": {"fast": _figures([0.9905], 9.0), "seed": _figures([0.985, 0.992], 45.0)}}
    ).splitlines()
    fast_row = next(line for line in report if line.startswith("| fast "))
    seed_row = next(line for line in report if line.startswith("| seed "))
    cells = [cell.strip() for cell in fast_row.strip("|").split("|")]
    assert cells[5:10] == ["9.0", "10.0x", "not reached", "1.5", "14.0"]  # 90 s / 9 s; whole run 9 + 5 s
    assert [cell.strip() for cell in seed_row.strip("|").split("|")][5:8] == ["90.0", "1.0x", "not reached"]
