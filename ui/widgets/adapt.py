"""My digits' "Adapt to my digits": starts an adaptation job (core.adapt, core.jobs), shows its progress,
then what it achieved and a button to use the new run in this session (it never becomes the default by itself)."""

from __future__ import annotations

import streamlit as st

from core.jobs import JobBusyError, JobSnapshot, JobState
from core.mode import SharedAction
from ui.active_model import active_run, choose_active_run
from ui.loaders.light import get_jobs, get_store
from ui.widgets.demo import allowed_here


def _adaptation(snapshot: JobSnapshot | None) -> JobSnapshot | None:
    """The store's current job if it is an adaptation."""
    return snapshot if snapshot is not None and snapshot.config.adapted_from is not None else None


def _draw_finished(snapshot: JobSnapshot) -> None:
    """The new run's figures: held-back digits and MNIST, before and after, and the button to use it."""
    if snapshot.state == JobState.FAILED:
        st.error(f"Adapting failed: {snapshot.error}")
        return
    try:
        report = get_store().adaptation(snapshot.run_id or "")
    except ValueError as error:  # deleted on Runs since, or its figures unreadable
        st.caption(f"The adapted run's figures cannot be shown: {error}")
        return
    if report is None:
        return
    st.success(f"Saved the adapted model as run **{snapshot.run_id}** ({snapshot.status}), in {report.seconds:.0f} s.")
    held_back, mnist = st.columns(2)
    held_back.metric(
        f"Held-back kept digits ({report.held_back})",
        f"{report.held_back_after:.0%}" if report.held_back else "–",
        delta=f"{(report.held_back_after - report.held_back_before) * 100:+.0f} points" if report.held_back else None,
        help="Kept digits the adaptation never trained on: accuracy after, and the change from before.",
    )
    mnist.metric(
        "MNIST test accuracy",
        f"{report.mnist_after:.2%}",
        delta=f"{(report.mnist_after - report.mnist_before) * 100:+.2f} points",
    )
    active = active_run()
    if active is not None and active.run_id == snapshot.run_id:
        st.caption("This session uses the adapted model.")
    elif st.button("Use the adapted model", key="adapt_use", help="In this session only; Runs makes it everyone's default."):
        choose_active_run(snapshot.run_id)
        st.rerun(scope="app")  # the sidebar shows the session's model


def _draw_progress(was_running: bool) -> None:
    """The current adaptation's progress; reruns the widget once when it ends."""
    snapshot = _adaptation(get_jobs().snapshot())
    if snapshot is None:
        return
    if was_running and not snapshot.is_running:
        st.rerun(scope="app")
    if snapshot.is_running:
        text = "Starting: loading TensorFlow and the model…" if snapshot.state == JobState.STARTING else (
            f"Adapting run {snapshot.config.adapted_from}: step {snapshot.batch}/{snapshot.batches_per_epoch}"
        )
        st.progress(snapshot.epoch_fraction, text=text)
    else:
        _draw_finished(snapshot)


def adapt_to_my_digits(writer: str | None = None) -> None:
    """The button that adapts this session's model to the kept digits (`writer`'s, or everyone's), and the
    job's progress and outcome, redrawn every second while it runs."""
    if not allowed_here(SharedAction.ADAPTING):
        return
    source = active_run()
    jobs = get_jobs()
    snapshot = jobs.snapshot()
    running = snapshot is not None and snapshot.is_running
    if source is not None and st.button(
        "Adapt to my digits",
        key="adapt_start",
        disabled=running,
        help=f"Fine-tunes {source.run_id} on the kept digits in a few seconds, replaying MNIST so it does not forget it, "
        "and saves the result as a new run. A share of the digits is held back to show what it learned.",
    ):
        try:
            snapshot = jobs.adapt(source, writer)
            running = True
        except (ValueError, OSError, JobBusyError) as error:  # no usable kept digits, or a job running
            st.error(str(error))
    st.fragment(_draw_progress, run_every=1.0 if running else None)(running)
