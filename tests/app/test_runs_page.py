"""The Runs page lists runs, changes the default one, and deletes only after confirmation."""

from __future__ import annotations

from core.runs import RunStore
from tests.app.conftest import open_page, second_run


def test_runs_are_listed_with_their_accuracy(app_with_model, app_env):
    app = open_page("pages/Runs.py")
    assert not app.exception
    table = app.dataframe[0].value
    record = RunStore(app_env, shipped_dir=None).get(app_with_model)
    assert list(table["run"]) == [app_with_model]
    assert table["test accuracy"].iloc[0] == record.test_accuracy


def test_make_default_switches_the_server_model(app_with_model, app_env):
    other = second_run(app_env, app_with_model)
    store = RunStore(app_env, shipped_dir=None)
    store.set_default(app_with_model)
    app = open_page("pages/Runs.py")
    app.selectbox(key="runs_chosen").set_value(other).run()
    next(button for button in app.button if button.label == "Make default for everyone").click().run()
    assert not app.exception
    assert store.default_run_id() == other


def test_delete_needs_confirmation(app_with_model, app_env):
    other = second_run(app_env, app_with_model)
    app = open_page("pages/Runs.py")
    app.selectbox(key="runs_chosen").set_value(other).run()
    assert (app_env / other).is_dir(), "choosing a run deletes nothing"
    next(button for button in app.button if button.label == "Yes, delete it").click().run()
    assert not app.exception
    assert not (app_env / other).exists()
    assert [run.run_id for run in RunStore(app_env, shipped_dir=None).list_runs()] == [app_with_model]


def test_broken_run_is_reported_not_crashing(app_with_model, app_env):
    broken = second_run(app_env, app_with_model)
    (app_env / broken / "summary.json").write_text("{not json")
    app = open_page("pages/Runs.py")
    assert not app.exception
    assert any(broken in warning.value for warning in app.warning)
