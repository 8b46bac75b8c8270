"""Each browser session has its own model: a switch in one leaves every other session's, and the store's default, alone."""

from __future__ import annotations

from core.runs import RunStore
from tests.app.conftest import open_page, second_run, session_model


def test_a_switch_in_one_session_leaves_the_other_sessions_model_and_the_default(app_with_model, app_env):
    other = second_run(app_env, app_with_model)
    store = RunStore(app_env, shipped_dir=None)
    store.set_default(app_with_model)
    first, second = open_page("pages/Runs.py"), open_page("pages/Runs.py")

    first.sidebar.selectbox(key="sidebar_run").set_value(other).run()
    second.run()

    assert not first.exception and not second.exception
    assert session_model(first) == other and other in first.sidebar.caption[0].value
    assert session_model(second) == app_with_model and app_with_model in second.sidebar.caption[0].value
    assert store.default_run_id() == app_with_model
    assert any(app_with_model in caption.value for caption in first.sidebar.caption[1:])  # "new sessions start with"
    for app, yours in ((first, other), (second, app_with_model)):
        table = app.dataframe[0].value
        assert list(table.loc[table["yours"], "run"]) == [yours]
        assert list(table.loc[table["default"], "run"]) == [app_with_model]


def test_a_session_keeps_its_model_when_the_default_changes_and_a_new_session_starts_with_it(app_with_model, app_env):
    other = second_run(app_env, app_with_model)
    store = RunStore(app_env, shipped_dir=None)
    store.set_default(app_with_model)
    watching = open_page("pages/Runs.py")
    presenter = open_page("pages/Runs.py")
    presenter.selectbox(key="runs_chosen").set_value(other).run()
    next(button for button in presenter.button if button.label == "Make default for everyone").click().run()

    assert store.default_run_id() == other
    assert session_model(watching.run()) == app_with_model
    assert session_model(open_page("pages/Runs.py")) == other


def test_a_session_whose_model_is_deleted_falls_back_to_the_default(app_with_model, app_env):
    other = second_run(app_env, app_with_model)
    RunStore(app_env, shipped_dir=None).set_default(app_with_model)
    app = open_page("pages/Runs.py")
    app.sidebar.selectbox(key="sidebar_run").set_value(other).run()
    RunStore(app_env, shipped_dir=None).delete(other)  # from another session, or by hand
    app.run()
    assert not app.exception
    assert session_model(app) == app_with_model
