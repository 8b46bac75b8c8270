"""What the network learned: Insight's filters and dead units, the Runs page's per-digit curves."""

from __future__ import annotations

import json

import pytest

from core.data import load_mnist
from core.learned import dead_units, first_filters, per_class_history
from core.numpy_model import load_numpy_model
from core.runs import HISTORY_FILE, MODEL_FILE, RunStore
from tests.app.conftest import open_page


def _dead_unit_table(app):
    return next(frame.value for frame in app.dataframe if "dead share" in frame.value.columns)


def test_insight_shows_the_first_filters_and_the_dead_units_core_counts(app_with_model, app_env):
    app = open_page("pages/Insight.py")
    assert not app.exception
    model = load_numpy_model(app_env / app_with_model / MODEL_FILE)
    expected = dead_units(model, load_mnist(fallback_to_sample=True).x_test)
    table = _dead_unit_table(app)
    assert list(table["layer"]) == [item.layer_name for item in expected]
    assert list(table["dead share"]) == pytest.approx([item.share for item in expected])
    filters = first_filters(model)
    assert any(f"The {len(filters.kernels)} filters of `{filters.layer_name}`" in caption.value for caption in app.caption)


def test_runs_page_names_the_digits_a_run_learned_last(app_with_model, app_env):
    app = open_page("pages/Runs.py")
    assert not app.exception
    late = per_class_history(RunStore(app_env, shipped_dir=None).history(app_with_model)).learned_last()
    expected = "Learned last (lowest over the epochs): " + ", ".join(map(str, late)) + "."
    assert any(expected in caption.value for caption in app.caption)


def test_runs_page_reads_a_run_trained_before_per_digit_accuracy(app_with_model, app_env):
    history_file = app_env / app_with_model / HISTORY_FILE
    history = json.loads(history_file.read_text())
    for metrics in history:
        del metrics["val_per_class_accuracy"]
    history_file.write_text(json.dumps(history))
    app = open_page("pages/Runs.py")
    assert not app.exception
    assert any("trained before the accuracy of each digit" in caption.value for caption in app.caption)
    assert not any("Learned last" in caption.value for caption in app.caption)
