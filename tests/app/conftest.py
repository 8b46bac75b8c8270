"""AppTest fixtures: the sample dataset, a temporary run store and a small trained run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui.pages import PAGES as APP_PAGES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGES = [page.script for page in APP_PAGES]
TIMEOUT_S = 60


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, sample_data) -> Path:
    """One run of the fast architecture trained briefly on the sample, saved once per session."""
    from core.config import TrainingConfig
    from core.runs import RunStore
    from core.training import train

    config = TrainingConfig.for_architecture("fast", epochs=1, train_size=2000, batch_size=64)
    store = RunStore(tmp_path_factory.mktemp("trained"), shipped_dir=None)
    return store.save(train(config, sample_data)).path


@pytest.fixture()
def app_env(tmp_path, monkeypatch):
    """Sample data, an empty run store, no shipped model, and fresh Streamlit caches."""
    monkeypatch.setenv("DIGIT_LAB_MNIST", "sample")
    monkeypatch.setenv("DIGIT_LAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr("core.runs.SHIPPED_RUN_DIR", tmp_path / "no-shipped-model")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path / "runs"
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture()
def app_with_model(app_env, trained_run) -> str:
    """The run store holds the trained run, the default as the only one; returns its id."""
    app_env.mkdir(parents=True, exist_ok=True)
    shutil.copytree(trained_run, app_env / trained_run.name)
    return trained_run.name


def second_run(app_env: Path, run_id: str) -> str:
    """A copy of a run under a later id, so the store holds two; returns the copy's id."""
    copy = app_env / f"{run_id}-2"
    shutil.copytree(app_env / run_id, copy)
    return copy.name


def session_model(app: AppTest) -> str:
    """The run id of the model the app's session uses, as its sidebar shows it."""
    return app.sidebar.selectbox(key="sidebar_run").value


def open_page(page: str, secrets: dict[str, str] | None = None) -> AppTest:
    """Runs a page the way a user reaches it: Home.py is the main script, other pages are switched to.
    `secrets` stand for `.streamlit/secrets.toml`.

    Home.py's code runs from a temporary file: from the project root, a pages/ folder beside it would put
    every AppTest run in Streamlit's older automatic navigation, which a real server leaves after its first run.
    """
    app = AppTest.from_string((PROJECT_ROOT / "Home.py").read_text(encoding="utf-8"), default_timeout=TIMEOUT_S)
    app.secrets.update(secrets or {})
    if page != "Home.py":
        switch_to(app, page)
    app.run()
    return app


def switch_to(app: AppTest, page: str) -> AppTest:
    """Switches to a page script given relative to the project root (the main script lives elsewhere)."""
    return app.switch_page(str(PROJECT_ROOT / page))
