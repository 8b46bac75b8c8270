"""The Train page starts, watches, stops and refuses jobs (AppTest, sample data)."""

from __future__ import annotations

import itertools
import time

from core.config import TrainingConfig
from core.job_files import create_job
from core.job_trainer import TrainerChannel
from core.progress import BatchProgress, EpochMetrics
from core.runs import RunStore
from tests.app.conftest import open_page, session_model, switch_to

JOB_TIMEOUT_S = 120


def _job_caption(app) -> str:
    return next((caption.value for caption in app.caption if caption.value.startswith("Job ")), "")


def _wait_for_state(app, *states: str) -> str:
    """Reruns the page until its job caption reports one of `states`; returns the caption."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        app.run()
        caption = _job_caption(app)
        if any(f"state: **{state}**" in caption for state in states):
            return caption
        time.sleep(0.3)
    raise AssertionError(f"job never reached {states}; last caption: {_job_caption(app)!r}")


def _fill_form(app, *, epochs: int, train_size: int, batch_size: int = 64) -> None:
    app.number_input(key="train_epochs").set_value(epochs)
    app.number_input(key="train_train_size").set_value(train_size)
    app.number_input(key="train_batch_size").set_value(batch_size)


def test_start_trains_saves_and_activates_a_run(app_env):
    app = open_page("pages/Train.py")
    _fill_form(app, epochs=1, train_size=1000)
    app.checkbox(key="train_template_digits").uncheck()  # `fast`'s recipe adds them
    app.number_input(key="train_uji_share").set_value(0.2)
    app.button[0].click().run()
    assert not app.exception, app.exception
    _wait_for_state(app, "done")
    runs = RunStore(app_env, shipped_dir=None).list_runs()
    assert len(runs) == 1 and runs[0].config.train_size == 1000 and runs[0].status == "completed"
    assert runs[0].config.template_digits is False
    assert runs[0].config.uji_share == 0.2
    assert any(runs[0].run_id in success.value for success in app.success)
    assert [metric.value for metric in app.metric if metric.label == "Epochs done"] == ["1"]
    assert RunStore(app_env, shipped_dir=None).default_run_id() == runs[0].run_id
    app.run()  # as the page's fragment does once the job ends: the sidebar may have drawn before it ended
    assert session_model(app) == runs[0].run_id  # the session that trained it uses it at once


def test_the_uji_share_can_be_set_only_while_uji_digits_are_added(app_env):
    app = open_page("pages/Train.py")
    assert app.checkbox(key="train_uji_digits").value is True  # `fast`'s recipe
    assert not app.number_input(key="train_uji_share").disabled
    app.checkbox(key="train_uji_digits").uncheck().run()
    assert app.number_input(key="train_uji_share").disabled


def test_stop_ends_the_job_early_and_still_saves(app_env):
    app = open_page("pages/Train.py")
    _fill_form(app, epochs=20, train_size=4000, batch_size=32)
    app.button[0].click().run()
    _wait_for_state(app, "running")
    next(button for button in app.button if button.label == "Stop").click().run()
    assert not app.exception, [element.value for element in app.exception]
    _wait_for_state(app, "done")
    runs = RunStore(app_env, shipped_dir=None).list_runs()
    assert len(runs) == 1 and runs[0].status == "stopped"
    assert runs[0].epochs_completed < 20


def test_a_second_session_watches_instead_of_starting(app_env):
    first = open_page("pages/Train.py")
    _fill_form(first, epochs=20, train_size=4000, batch_size=32)
    first.button[0].click().run()
    _wait_for_state(first, "running")
    second = open_page("pages/Train.py")
    assert second.button[0].disabled
    assert any("already" in info.value or "running in this run store" in info.value for info in second.info)
    next(button for button in second.button if button.label == "Stop").click().run()
    _wait_for_state(first, "done")


def test_a_job_started_outside_the_page_is_watched_live_and_can_be_stopped(app_env):
    # What `python -m core train` or another server does: claim a job in the store and report progress.
    config = TrainingConfig.for_architecture("fast", epochs=3)
    # A clock a second further on at each look, so no batch is held back by the twice-a-second limit.
    with TrainerChannel.claim(create_job(app_env, config), clock=itertools.count(step=1.0).__next__) as channel:
        channel.record_batch(BatchProgress(1, 10, 10, 0.9, 0.7, 5000.0, 2.0))
        channel.record_epoch(EpochMetrics(1, 0.9, 0.7, 0.5, 0.86, 2.1, complete=True))
        channel.record_batch(BatchProgress(2, 4, 10, 0.4, 0.9, 5000.0, 3.0))
        app = open_page("pages/Train.py")
        assert not app.exception
        assert "state: **running**" in _job_caption(app) and "fast, 3 epochs" in _job_caption(app)
        assert app.button[0].disabled  # Start: one training per run store
        assert [metric.value for metric in app.metric if metric.label == "Validation accuracy"] == ["86.00%"]
        assert any("Epoch 2/3 · batch 4/10" in bar.proto.text for bar in app.get("progress"))

        next(button for button in app.button if button.label == "Stop").click().run()
        assert "state: **stopping**" in _job_caption(app)
        assert channel.stop_requested()  # the trainer, in its own process, sees the page's Stop
        channel.fail("stopped by the test before saving")
    assert "state: **failed**" in _wait_for_state(app, "failed")
    assert any("stopped by the test" in error.value for error in app.error)
    assert any("its log is in that terminal" in caption.value for caption in app.caption)  # no trainer.log here


def test_an_adaptation_job_is_shown_in_steps_not_epochs(app_env):
    # My digits' "Adapt to my digits" runs as a job of the same store: Train watches it too.
    config = TrainingConfig.for_architecture("best", epochs=1, adapted_from="20261201-120000-best")
    with TrainerChannel.claim(create_job(app_env, config), clock=itertools.count(step=1.0).__next__) as channel:
        channel.record_batch(BatchProgress(1, 40, 150, 0.3, 0.9, 900.0, 4.0))
        app = open_page("pages/Train.py")
        assert not app.exception
        assert "adapting run 20261201-120000-best to the kept digits" in _job_caption(app)
        texts = [bar.proto.text for bar in app.get("progress")]
        assert any(text.startswith("Step 40/150 · ") for text in texts), texts
        assert not any("Epoch" in text or "All epochs" in text for text in texts), texts
        channel.fail("stopped by the test before saving")


def test_invalid_learning_rate_is_refused_with_a_message(app_env):
    app = open_page("pages/Train.py")
    app.number_input(key="train_learning_rate").set_value(0.0)
    app.button[0].click().run()
    assert not app.exception
    assert any("Learning rate" in error.value for error in app.error)
    assert _job_caption(app) == ""


def test_form_values_survive_a_page_switch(app_env):
    app = open_page("pages/Train.py")
    app.number_input(key="train_epochs").set_value(7).run()
    switch_to(app, "pages/Overview.py").run()
    switch_to(app, "pages/Train.py").run()
    assert app.number_input(key="train_epochs").value == 7


def test_two_sessions_pressing_start_at_once_run_one_job(app_env):
    first, second = open_page("pages/Train.py"), open_page("pages/Train.py")  # both see Start enabled
    for app in (first, second):
        _fill_form(app, epochs=20, train_size=4000, batch_size=32)
    first.button[0].click().run()
    second.button[0].click().run()
    assert not second.exception
    # The job started by the first click disables the second session's button on its rerun, or, had
    # both clicks raced inside one run, the server's one-job lock refuses it: either way it is told.
    told = [element.value for element in (*second.error, *second.info)]
    assert any("already running" in text or "running in this run store" in text for text in told), told
    assert _job_caption(second).split(" · ")[0] == _job_caption(first).split(" · ")[0]  # it watches the first's job
    next(button for button in second.button if button.label == "Stop").click().run()  # and may stop it
    _wait_for_state(first, "done")
    assert len(RunStore(app_env, shipped_dir=None).list_runs()) == 1


def test_a_batch_larger_than_the_training_images_is_refused_with_a_message(app_env):
    app = open_page("pages/Train.py")
    _fill_form(app, epochs=1, train_size=100, batch_size=4096)
    app.button[0].click().run()
    caption = _wait_for_state(app, "failed", "done")
    assert "failed" in caption
    assert any("Batch size 4096 is larger than the 90 training images" in error.value for error in app.error)
    [log] = [expander for expander in app.expander if expander.label == "Trainer log"]
    assert log.proto.expanded and "Batch size 4096" in log.code[0].value  # the trainer process's own log
    assert RunStore(app_env, shipped_dir=None).list_runs() == []


def test_a_diverging_run_is_stopped_and_the_reason_shown(app_env):
    app = open_page("pages/Train.py")
    app.selectbox(key="train_architecture").set_value("seed").run()
    _fill_form(app, epochs=3, train_size=1000)
    app.selectbox(key="train_optimizer").set_value("sgd")
    app.selectbox(key="train_schedule").set_value("constant")
    app.number_input(key="train_learning_rate").set_value(10.0)
    app.button[0].click().run()
    _wait_for_state(app, "done")
    assert any("loss became NaN" in warning.value for warning in app.warning)
    runs = RunStore(app_env, shipped_dir=None).list_runs()
    assert len(runs) == 1 and runs[0].status == "diverged"
    assert RunStore(app_env, shipped_dir=None).default_run_id() != runs[0].run_id


def test_page_runs_do_not_reset_keras_under_a_training_thread(app_env):
    import keras

    keras.layers.Dense(1)  # Keras now numbers the next Dense layer "dense_1" or later
    open_page("pages/Train.py")
    # Streamlit's own clean-up after a run calls keras.backend.clear_session(), which restarts the
    # numbering (and clears TensorFlow's kernel cache under a running job).
    assert keras.layers.Dense(1).name != "dense"


def test_bfloat16_on_a_cpu_without_it_is_warned_about(app_env, monkeypatch):
    from ui.widgets import training_form

    monkeypatch.setattr(training_form, "cpu_has_bfloat16", lambda: False)
    app = open_page("pages/Train.py")
    assert not any("bfloat16" in warning.value for warning in app.warning)

    app.selectbox(key="train_compute_dtype").set_value("bfloat16").run()

    assert any("no bfloat16 instructions" in warning.value for warning in app.warning)
