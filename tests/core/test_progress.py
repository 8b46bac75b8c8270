"""Tests for core.progress: epoch metrics survive JSON, and records written before a field existed still load."""

from __future__ import annotations

import json

import pytest

from core.progress import EpochMetrics

PER_CLASS = tuple(0.9 + digit / 100 for digit in range(10))


def test_epoch_metrics_round_trip_through_json_with_their_per_class_accuracy():
    metrics = EpochMetrics(3, 0.2, 0.95, 0.25, 0.93, 30.0, True, val_per_class_accuracy=PER_CLASS)
    restored = EpochMetrics.from_dict(json.loads(json.dumps(metrics.to_dict())))
    assert restored == metrics
    assert isinstance(restored.val_per_class_accuracy, tuple)  # JSON's list turned back, so it stays frozen


def test_epoch_metrics_saved_before_per_class_accuracy_load_without_it():
    old = {"epoch": 1, "loss": 0.3, "accuracy": 0.9, "val_loss": 0.1, "val_accuracy": 0.97, "elapsed_s": 30.4, "complete": True}
    assert EpochMetrics.from_dict(old).val_per_class_accuracy == ()


def test_a_missing_field_without_default_is_still_an_error():
    with pytest.raises(KeyError, match="val_loss"):
        EpochMetrics.from_dict({"epoch": 1, "loss": 0.3, "accuracy": 0.9, "val_accuracy": 0.97, "elapsed_s": 1.0, "complete": True})
