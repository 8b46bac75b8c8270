"""The Train page's live view of the latest job: a fragment that polls the job registry every second while it runs."""

from __future__ import annotations

import streamlit as st

from core.jobs import JobSnapshot, JobState
from core.mode import SharedAction
from core.progress import RunStatus
from ui.active_model import active_run
from ui.loaders.light import get_jobs, get_store
from ui.widgets.charts import learning_curves
from ui.widgets.demo import allowed_here


def _saved_message(snapshot: JobSnapshot) -> str:
    """Which run was saved, and who uses it now: everyone, this session, or those who pick it."""
    default, active = get_store().default_run(), active_run()
    message = f"Saved run **{snapshot.run_id}** ({snapshot.status}): test accuracy {snapshot.test_accuracy:.2%}."
    if snapshot.made_default:
        message += " It is now the default model for everyone."
    elif default is not None:
        message += f" The default model for everyone stays **{default.run_id}** ({default.test_accuracy:.2%})."
    if active is not None and active.run_id == snapshot.run_id:
        message += " This session uses it."
    return message


def draw_job(was_running: bool) -> None:
    """The live view of the latest job; reruns the whole page once when it finishes."""
    jobs = get_jobs()
    snapshot = jobs.snapshot()
    if snapshot is None:
        st.caption("No training yet in this run store.")
        return
    if was_running and not snapshot.is_running:
        st.rerun(scope="app")  # The sidebar must show the session's new model.
    config = snapshot.config
    # An adaptation (My digits) is one pass of a fixed number of steps, not epochs of batches.
    adapting = config.adapted_from is not None
    what = f"adapting run {config.adapted_from} to the kept digits" if adapting else f"{config.architecture}, {config.epochs} epochs"
    st.caption(f"Job {snapshot.job_id} · state: **{snapshot.state}** · {what}")
    if snapshot.state == JobState.STARTING:
        st.caption("Starting the trainer process: loading TensorFlow and the data takes a few seconds.")
    position = (
        f"Step {snapshot.batch}/{snapshot.batches_per_epoch}" if adapting
        else f"Epoch {max(snapshot.epoch, 1)}/{config.epochs} · batch {snapshot.batch}/{snapshot.batches_per_epoch}"
    )
    st.progress(
        snapshot.epoch_fraction,
        text=f"{position} · {snapshot.images_per_second:,.0f} images/s"
        + (f" · about {snapshot.eta_s:.0f} s left" if snapshot.eta_s is not None else ""),
    )
    if not adapting:
        st.progress(snapshot.overall_fraction, text=f"All epochs: {snapshot.overall_fraction:.0%}")
    if snapshot.is_running and allowed_here(SharedAction.STOPPING_TRAINING):
        # A callback runs before the rerun it triggers, so that rerun already shows "stopping".
        st.button("Stop", on_click=jobs.stop, disabled=snapshot.state == JobState.STOPPING, help="Ends after the current batch and saves the run")
    last = snapshot.history[-1] if snapshot.history else None
    columns = st.columns(4)
    columns[0].metric("Epochs done", len(snapshot.history))
    columns[1].metric("Validation accuracy", f"{last.val_accuracy:.2%}" if last else "–")
    columns[2].metric("Validation loss", f"{last.val_loss:.4f}" if last else "–")
    columns[3].metric("Elapsed", f"{snapshot.elapsed_s:.0f} s")
    st.plotly_chart(learning_curves(snapshot.history, snapshot.batch_losses, snapshot.batch_positions), key="train_curves")
    if snapshot.state == JobState.DONE and snapshot.status == RunStatus.DIVERGED:
        st.warning(
            f"Training stopped: the loss became NaN, infinite or exploded, usually a learning rate too high for this optimizer. "
            f"The run was saved as **{snapshot.run_id}** (diverged) for inspection; no session switches to it."
        )
    elif snapshot.state == JobState.DONE:
        st.success(_saved_message(snapshot))
        st.metric("Test accuracy", f"{snapshot.test_accuracy:.2%}")
    elif snapshot.state == JobState.FAILED:
        st.error(f"Training failed: {snapshot.error}")
    show_trainer_log(snapshot.job_id, expanded=snapshot.state == JobState.FAILED)


def show_trainer_log(job_id: str, expanded: bool) -> None:
    """The end of the trainer process's own log: where a failed job's traceback is."""
    log = get_jobs().trainer_log(job_id)
    with st.expander("Trainer log", expanded=expanded):
        if log is None:
            st.caption("This job was started with `python -m core train`: its log is in that terminal.")
        else:
            st.code(log or "(empty so far)", language=None)


def watch_job() -> None:
    """Draws the latest job, redrawn every second while it runs (the rest of the page stays still)."""
    snapshot = get_jobs().snapshot()
    running = snapshot is not None and snapshot.is_running
    st.fragment(draw_job, run_every=1.0 if running else None)(running)
