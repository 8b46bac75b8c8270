"""A demo server: every action on shared state gives way to a line saying why; looking, switching one's own
model and downloads stay; a training started elsewhere is watched live. The run store and the job
registry refuse the same actions themselves: tests/core/test_mode.py and tests/core/test_jobs.py."""

from __future__ import annotations

import itertools

import pytest

from core.config import TrainingConfig
from core.job_files import create_job
from core.job_trainer import TrainerChannel
from core.mode import MODE_KEY, SharedAction, refusal_message
from core.progress import BatchProgress
from core.runs import RunStore
from tests.app.conftest import open_page, second_run, session_model


@pytest.fixture()
def demo_env(app_env, monkeypatch):
    monkeypatch.setenv(MODE_KEY, "demo")
    return app_env


def _captions(app) -> list[str]:
    return [caption.value for caption in app.caption]


def test_train_offers_no_training_and_says_why(demo_env):
    app = open_page("pages/Train.py")
    assert not app.exception
    assert refusal_message(SharedAction.TRAINING) in _captions(app)
    assert not [button for button in app.button if button.label == "Start training"]
    assert not app.number_input  # no recipe form either
    assert any("Demo server" in info.value for info in app.sidebar.info)


def test_a_training_started_elsewhere_is_watched_live_without_a_stop(demo_env):
    config = TrainingConfig.for_architecture("fast", epochs=3)
    with TrainerChannel.claim(create_job(demo_env, config), clock=itertools.count(step=1.0).__next__) as channel:
        channel.record_batch(BatchProgress(1, 4, 10, 0.9, 0.7, 5000.0, 2.0))
        app = open_page("pages/Train.py")
        assert not app.exception
        assert any("state: **running**" in caption for caption in _captions(app))
        assert any("Epoch 1/3 · batch 4/10" in bar.proto.text for bar in app.get("progress"))
        assert refusal_message(SharedAction.STOPPING_TRAINING) in _captions(app)
        assert not [button for button in app.button if button.label == "Stop"]
        channel.fail("ended by the test")


def test_runs_offers_downloads_but_no_default_or_delete(app_with_model, demo_env):
    other = second_run(demo_env, app_with_model)
    default_before = RunStore(demo_env, shipped_dir=None).default_run_id()
    app = open_page("pages/Runs.py")
    assert not app.exception
    labels = [button.label for button in app.button]
    assert "Make default for everyone" not in labels and "Yes, delete it" not in labels
    for action in (SharedAction.CHANGING_DEFAULT, SharedAction.DELETING_RUN):
        assert refusal_message(action) in _captions(app)
    assert [button.label for button in app.get("download_button")][:1] == ["Download model (.keras)"]

    not_default = app_with_model if default_before == other else other
    app.sidebar.selectbox(key="sidebar_run").set_value(not_default).run()  # one's own model still switches
    assert not app.exception and session_model(app) == not_default
    assert RunStore(demo_env, shipped_dir=None).default_run_id() == default_before  # nobody else's changed
    assert sorted(run.run_id for run in RunStore(demo_env, shipped_dir=None).list_runs()) == sorted([app_with_model, other])


def test_secrets_toml_turns_demo_on_too(app_env):
    app = open_page("pages/Train.py", secrets={MODE_KEY: "demo"})
    assert not app.exception
    assert refusal_message(SharedAction.TRAINING) in _captions(app)


def test_a_normal_server_offers_every_action(app_with_model, app_env):
    labels = [button.label for button in open_page("pages/Runs.py").button]
    assert "Make default for everyone" in labels and "Yes, delete it" in labels
    assert "Start training" in [button.label for button in open_page("pages/Train.py").button]


def test_compare_runs_shows_stored_curves_but_measures_none(app_with_model, demo_env):
    app = open_page("pages/Compare_runs.py")
    assert not app.exception
    assert not [button for button in app.button if button.label.startswith("Measure")]
    assert refusal_message(SharedAction.MEASURING_ROBUSTNESS) in _captions(app)
