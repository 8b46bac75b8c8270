"""The "Adapt to my digits" widget (ui.widgets.adapt), drawn alone: refusals, a finished adaptation's figures,
and the button that makes the adapted run this session's model. The adaptation itself: tests/core/test_adapt.py."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import core.kept_digits
from core.adapt import AdaptationReport, adaptation_config
from core.default_model import DefaultRequest
from core.job_files import create_job
from core.job_trainer import TrainerChannel
from core.mode import MODE_KEY, SharedAction, refusal_message
from core.runs import RunStore
from tests.app.conftest import TIMEOUT_S


def widget() -> None:
    from ui.widgets.adapt import adapt_to_my_digits

    adapt_to_my_digits()


def run_widget() -> AppTest:
    app = AppTest.from_function(widget, default_timeout=TIMEOUT_S)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture()
def no_kept_digits(monkeypatch):
    """A kept-digit store (core.kept_digits, the other half of this feature) that holds nothing."""
    store = SimpleNamespace(training_arrays=lambda writer=None: (np.zeros((0, 28, 28), np.float32), np.zeros(0, np.uint8)))
    # Only the function the job reads through: the app's loaders import the rest of the module, perhaps first here.
    monkeypatch.setattr(core.kept_digits, "open_store", lambda path=None: store)


def test_adapting_with_no_kept_digits_says_what_to_do(app_with_model, no_kept_digits):
    app = run_widget()
    app.button(key="adapt_start").click().run()
    assert any("keep some on Predict" in error.value for error in app.error)


def test_a_demo_server_offers_no_adapting_and_says_why(app_with_model, monkeypatch):
    monkeypatch.setenv(MODE_KEY, "demo")
    app = run_widget()
    assert refusal_message(SharedAction.ADAPTING) in [caption.value for caption in app.caption]
    assert not app.button


def test_a_finished_adaptation_shows_its_figures_and_can_become_the_sessions_model(app_env, app_with_model):
    store = RunStore(app_env, shipped_dir=None)
    source = store.get(app_with_model)
    store.set_default(source.run_id)
    config = adaptation_config(source, 50)
    # An adapted run as the job saves it: the source's files, its config and figures.
    report = AdaptationReport(source.run_id, 50, 10, 0.7, 0.9, 0.95, 0.949, 12.0)
    adapted = store.root / f"{source.run_id}-adapted"
    adapted.mkdir()
    for name in ("model.keras", "history.json", "test_predictions.npz", "summary.json"):
        (adapted / name).write_bytes((source.path / name).read_bytes())
    (adapted / "config.json").write_text(json.dumps(config.to_dict()))
    (adapted / "adaptation.json").write_text(json.dumps(report.to_dict()))
    folder = create_job(store.root, config, DefaultRequest.NEVER)
    with TrainerChannel.claim(folder) as channel:
        channel.finish(adapted.name, "completed", 0.949)

    app = run_widget()
    metrics = {metric.label: (metric.value, metric.delta) for metric in app.metric}
    assert metrics["Held-back kept digits (10)"] == ("90%", "+20 points")
    assert metrics["MNIST test accuracy"] == ("94.90%", "-0.10 points")
    app.button(key="adapt_use").click().run()
    assert "This session uses the adapted model." in [caption.value for caption in app.caption]
    assert RunStore(app_env, shipped_dir=None).default_run_id() == source.run_id  # nobody else's model changed
