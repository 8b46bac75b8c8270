"""Live training in a real browser: start a small job, watch it without reloading, leave and come back,
and find the new run active everywhere once it is saved; a command-line training watched live, and a
job that carries on through a restart of the page server (each training is its own process)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Locator, expect

from core.job_files import current_job, read_job, request_stop
from tests.browser.conftest import PROJECT_ROOT, open_tab, serve_app
from tests.browser.streamlit_ui import AppServer, AppTab

# About 9,000 images an epoch after the validation split: a few seconds each, long enough to leave the
# page and come back while the job runs, short enough to finish in well under a minute.
TRAINING_IMAGES = 10_000
EPOCHS = 2
TRAINING_TIMEOUT_MS = 180_000  # generous: the two cores may be shared with other work
RUNNING = re.compile(r"state: (starting|running)\b")
# The learning-curve figure as Plotly holds it: one x value per finished epoch.
EPOCH_POINTS_JS = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  const trace = plot && plot.data && plot.data.find(t => t.name === 'validation accuracy');
  return trace ? trace.x.length : -1;
}"""


def set_number(tab: AppTab, label: str, value: int) -> None:
    """Types into an `st.number_input` and waits for the rerun that commits it (none if unchanged)."""
    field = tab.main.get_by_label(label, exact=True)
    if field.input_value() == str(value):
        return
    with tab.finished_run():
        field.fill(str(value))
        field.press("Enter")
    expect(field).to_have_value(str(value))


@pytest.fixture()
def no_job_left_behind(tab: AppTab, app_server: AppServer) -> Iterator[None]:
    """After the test, even a failed one: no job still running, and the shipped model active again.

    A job left running would activate its run in the middle of later tests.
    """
    yield
    tab.open("/Train")
    stop = tab.main.get_by_role("button", name="Stop")
    if stop.count():
        stop.click()
    finished = re.compile(r"state: (done|failed)|No training yet in this run store")
    expect(tab.main.get_by_text(finished).first).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    (app_server.runs_dir / "default.json").unlink(missing_ok=True)


@pytest.mark.browser
def test_live_training_survives_page_switches_and_activates_the_new_run(
    tab: AppTab, shipped_model_active, no_job_left_behind
) -> None:
    tab.open("/Train")
    start = tab.main.get_by_role("button", name="Start training")
    expect(start).to_be_enabled()
    available = int(tab.main.get_by_label("Training images (0 = all)").get_attribute("max"))
    images = min(TRAINING_IMAGES, available)
    # On the 5,000-image bundled sample, more epochs keep the same amount of work.
    epochs = max(EPOCHS, math.ceil(EPOCHS * TRAINING_IMAGES / images))
    set_number(tab, "Training images (0 = all)", images)
    set_number(tab, "Epochs", epochs)
    tab.page.evaluate("() => { window.digitLabNoReload = true; }")  # gone if the page ever reloads

    with tab.finished_run():
        start.click()
    job_view = tab.main.get_by_text(re.compile(r"^Job \S+ · state: "))
    expect(job_view).to_contain_text(RUNNING)
    job = re.match(r"Job (\S+)", job_view.inner_text()).group(1)
    # When the job ends the fragment reruns the whole page, and for a moment the stale "running" view
    # sits beside the new "done" one: look for a state, not for the only caption.
    running = tab.main.get_by_text(re.compile(rf"^Job {job} · state: (starting|running)\b")).first
    done = tab.main.get_by_text(re.compile(rf"^Job {job} · state: done\b"))
    epochs_done = tab.metric_value("Epochs done")
    expect(epochs_done).to_have_text("0")  # drawn by the very run that started the job
    expect(tab.main.locator(".js-plotly-plot")).to_be_visible()  # Plotly adds the class as it draws
    assert tab.page.evaluate(EPOCH_POINTS_JS) == 0

    # Leave for another page and come back: the job goes on and the page shows it again.
    tab.navigate("Home")
    expect(tab.main.get_by_role("heading", level=1)).to_contain_text("Digit Lab")
    expect(running).to_have_count(0)
    tab.navigate("Train")
    expect(running).to_be_visible()

    # The progress bar moves and the epoch counter and chart update, all without a reload.
    progress = tab.main.get_by_test_id("stProgress").get_by_role("progressbar").first
    expect(progress).to_be_visible()
    expect(progress).not_to_have_attribute("aria-valuenow", progress.get_attribute("aria-valuenow"), timeout=TRAINING_TIMEOUT_MS)
    # Past 0, not exactly 1: on the bundled sample's short epochs the counter can pass 1 between two looks.
    expect(epochs_done.first).to_have_text(re.compile(r"^[1-9]\d*$"), timeout=TRAINING_TIMEOUT_MS)
    tab.page.wait_for_function(f"() => ({EPOCH_POINTS_JS})() >= 1")
    assert tab.page.evaluate("() => window.digitLabNoReload") is True

    # Done: the run is saved and becomes the active model on every page.
    expect(done).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(job_view).to_have_count(1)  # the stale view has gone
    saved = tab.main.get_by_test_id("stAlertContentSuccess")
    expect(saved).to_contain_text("Saved run")
    run_id = re.search(r"Saved run (\S+) \(", saved.inner_text()).group(1)
    expect(epochs_done).to_have_text(str(epochs))
    expect(tab.sidebar.get_by_test_id("stCaptionContainer").first).to_contain_text(run_id)
    assert tab.page.evaluate("() => window.digitLabNoReload") is True

    tab.navigate("Misclassified")
    expect(tab.sidebar.get_by_test_id("stCaptionContainer").first).to_contain_text(run_id)
    expect(tab.metric_value("Errors")).to_have_text(re.compile(r"^[\d,]+$"))
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.browser
def test_two_users_pressing_start_together_share_one_job_and_either_may_stop_it(
    tab: AppTab, other_tab: AppTab, shipped_model_active, app_server: AppServer, no_job_left_behind
) -> None:
    runs_before = {path.name for path in app_server.runs_dir.iterdir()}
    starts = []
    for user in (tab, other_tab):
        user.open("/Train")
        set_number(user, "Epochs", 50)  # far longer than the test: only Stop can end it
        starts.append(user.main.get_by_role("button", name="Start training"))
        expect(starts[-1]).to_be_enabled()
    for start in starts:  # both clicks leave before either page has rerun
        start.click(no_wait_after=True)

    jobs = [user.main.get_by_text(re.compile(r"^Job \S+ · state: (starting|running)\b")) for user in (tab, other_tab)]
    for job in jobs:
        expect(job).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    job = jobs[0].inner_text().split(" · ")[0]  # "Job N": earlier tests may have run jobs on this server
    assert jobs[1].inner_text().split(" · ")[0] == job  # both users watch the same, one job
    # Whichever click the server took second was told so (refused, or the button was already disabled).
    told = [user.main.get_by_text(re.compile(r"already running|running in this run store")) for user in (tab, other_tab)]
    deadline = time.monotonic() + 30
    while not any(locator.count() for locator in told):
        assert time.monotonic() < deadline, "neither user was told a job was already running"
        time.sleep(0.2)  # polling two pages at once; expect() watches only one

    # The user who did not start it stops it; the starter's page sees the job end.
    other_tab.main.get_by_role("button", name="Stop").click()
    expect(tab.main.get_by_text(re.compile(rf"^{job} · state: done\b"))).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
    expect(tab.main.get_by_test_id("stAlertContentSuccess")).to_contain_text("(stopped)")
    new_runs = {path.name for path in app_server.runs_dir.iterdir()} - runs_before - {"default.json", ".jobs"}
    assert len(new_runs) == 1, new_runs
    for user in (tab, other_tab):
        expect(user.page.get_by_test_id("stException")).to_have_count(0)


def job_caption(tab: AppTab, job: str, states: str) -> Locator:
    """The caption of job `job` once it is in one of `states` (a regex alternation)."""
    return tab.main.get_by_text(re.compile(rf"^Job {re.escape(job)} · state: ({states})\b")).first


@pytest.mark.browser
def test_a_command_line_training_shows_up_live_and_stops_from_the_page(
    tab: AppTab, app_server: AppServer, shipped_model_active, no_job_left_behind
) -> None:
    # Far more epochs than the test waits for: the page's Stop ends it, across processes.
    command = [sys.executable, "-m", "core", "train", "--sample", "--arch", "fast", "--epochs", "200"]
    cli = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=dict(os.environ, DIGIT_LAB_RUNS=str(app_server.runs_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        tab.open("/Train")
        tab.page.evaluate("() => { window.digitLabNoReload = true; }")  # gone if the page ever reloads
        job_view = tab.main.get_by_text(re.compile(r"^Job \S+ · state: running\b"))
        expect(job_view).to_be_visible(timeout=TRAINING_TIMEOUT_MS)  # the fragment finds it: no reload
        job = re.match(r"Job (\S+)", job_view.inner_text()).group(1)
        expect(tab.main.get_by_role("button", name="Start training")).to_be_disabled()
        epochs_done = tab.metric_value("Epochs done").first
        expect(epochs_done).not_to_have_text("0", timeout=TRAINING_TIMEOUT_MS)
        tab.page.wait_for_function(f"() => ({EPOCH_POINTS_JS})() >= 1")

        tab.main.get_by_role("button", name="Stop").click()
        expect(job_caption(tab, job, "done")).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
        expect(tab.main.get_by_test_id("stAlertContentSuccess")).to_contain_text("(stopped)")
        assert tab.page.evaluate("() => window.digitLabNoReload") is True
        stdout, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0
    assert "status=stopped" in stdout
    run_id = Path(re.search(r"run=(\S+)", stdout).group(1)).name
    expect(tab.main.get_by_test_id("stAlertContentSuccess")).to_contain_text(run_id)


@pytest.mark.browser
def test_a_job_carries_on_through_a_restart_of_the_page_server(browser: Browser, tmp_path: Path) -> None:
    runs_dir, log_path = tmp_path / "runs", tmp_path / "streamlit.log"
    with serve_app(runs_dir, log_path) as server, open_tab(browser, server.base_url) as tab:
        tab.open("/Train")
        set_number(tab, "Epochs", 200)  # far longer than the test: only Stop ends it
        tab.main.get_by_role("button", name="Start training").click()
        job_view = tab.main.get_by_text(re.compile(r"^Job \S+ · state: running\b"))
        expect(job_view).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
        job = re.match(r"Job (\S+)", job_view.inner_text()).group(1)
    # The server is gone; its trainer process is not.
    folder = current_job(runs_dir)
    assert folder is not None and folder.job_id == job and read_job(folder).record.is_running
    try:
        with serve_app(runs_dir, log_path) as server, open_tab(browser, server.base_url) as tab:
            tab.open("/Train")  # the new server's very first run, straight to a deep link
            expect(tab.page).to_have_title(re.compile("^Train · Digit Lab"))
            expect(tab.sidebar.get_by_text("Active model")).to_be_visible()
            expect(job_caption(tab, job, "running")).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
            epochs_done = tab.metric_value("Epochs done").first
            before = int(epochs_done.inner_text())
            expect(epochs_done).not_to_have_text(str(before), timeout=TRAINING_TIMEOUT_MS)  # still learning, live
            tab.main.get_by_role("button", name="Stop").click()
            expect(job_caption(tab, job, "done")).to_be_visible(timeout=TRAINING_TIMEOUT_MS)
            expect(tab.main.get_by_test_id("stAlertContentSuccess")).to_contain_text("(stopped)")
    finally:
        if read_job(folder).record.is_running:  # a failed test must not leave a trainer behind
            request_stop(folder)
