"""Train: pick an architecture and recipe, start a background job, watch it learn live."""

import streamlit as st

from core.architectures import ARCHITECTURES
from core.config import OPTIMIZERS, SCHEDULES, TrainingConfig
from core.jobs import JobBusyError
from ui.charts import learning_curves
from ui.resources import get_data, get_jobs
from ui.sidebar import start_page
from ui.training_form import FORM_FIELDS, apply_recipe, remember_form, restore_form

start_page("Train", "🏋️", needs_model=False)
jobs = get_jobs()
data = get_data()
if data.is_sample:
    st.warning(f"Training on the bundled sample ({len(data.x_train):,} images): accuracy will be lower than on full MNIST.")

restore_form()
with st.expander("Training recipe", expanded=True):
    st.selectbox("Architecture", list(ARCHITECTURES), key="train_architecture", on_change=apply_recipe)
    st.caption(ARCHITECTURES[st.session_state["train_architecture"]].description)
    left, middle, right = st.columns(3)
    left.number_input("Epochs", min_value=1, max_value=200, step=1, key="train_epochs")
    left.number_input("Batch size", min_value=1, max_value=8192, step=32, key="train_batch_size")
    middle.selectbox("Optimizer", OPTIMIZERS, key="train_optimizer")
    middle.number_input("Learning rate", min_value=0.0, max_value=10.0, format="%.4f", step=0.001, key="train_learning_rate")
    middle.selectbox("Schedule", SCHEDULES, key="train_schedule")
    right.number_input(
        "Training images (0 = all)", min_value=0, max_value=len(data.x_train), step=1000, key="train_train_size"
    )
    right.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="train_seed")
    right.checkbox("Augmentation (rotate, slant, shift, zoom, bend, pen width)", key="train_augment")
    right.checkbox(
        "Add pen-drawn digits in European styles",
        key="train_template_digits",
        help="11% more training digits drawn from stroke templates: flagged 1s, crossed 7s, open 4s, curled 9s. "
        "Reads European handwriting better; see the README's Real handwriting section for what it costs.",
    )
remember_form()

snapshot = jobs.snapshot()
if st.button("Start training", type="primary", disabled=snapshot is not None and snapshot.is_running):
    values = {field: st.session_state[f"train_{field}"] for field in FORM_FIELDS}
    values["train_size"] = values["train_size"] or None
    try:
        jobs.start(TrainingConfig(**values))
    except (ValueError, JobBusyError) as error:
        st.error(str(error))
elif snapshot is not None and snapshot.is_running:
    st.info("A training job is running on this server; you are watching it live.")


def draw_job(was_running: bool) -> None:
    """The live view of the latest job; reruns the whole page once when it finishes."""
    snapshot = jobs.snapshot()
    if snapshot is None:
        st.caption("No training yet on this server.")
        return
    if was_running and not snapshot.is_running:
        st.rerun(scope="app")  # The sidebar must show the new active model.
    config = snapshot.config
    st.caption(f"Job {snapshot.job_id} · state: **{snapshot.state}** · {config.architecture}, {config.epochs} epochs")
    st.progress(
        snapshot.epoch_fraction,
        text=f"Epoch {max(snapshot.epoch, 1)}/{config.epochs} · batch {snapshot.batch}/{snapshot.batches_per_epoch} · "
        f"{snapshot.images_per_second:,.0f} images/s"
        + (f" · about {snapshot.eta_s:.0f} s left" if snapshot.eta_s is not None else ""),
    )
    st.progress(snapshot.overall_fraction, text=f"All epochs: {snapshot.overall_fraction:.0%}")
    if snapshot.is_running:
        # A callback runs before the rerun it triggers, so that rerun already shows "stopping".
        st.button("Stop", on_click=jobs.stop, disabled=snapshot.state == "stopping", help="Ends after the current batch and saves the run")
    last = snapshot.history[-1] if snapshot.history else None
    columns = st.columns(4)
    columns[0].metric("Epochs done", len(snapshot.history))
    columns[1].metric("Validation accuracy", f"{last.val_accuracy:.2%}" if last else "–")
    columns[2].metric("Validation loss", f"{last.val_loss:.4f}" if last else "–")
    columns[3].metric("Elapsed", f"{snapshot.elapsed_s:.0f} s")
    st.plotly_chart(learning_curves(snapshot.history, snapshot.batch_losses, snapshot.batches_per_epoch), key="train_curves")
    if snapshot.state == "done" and snapshot.status == "diverged":
        st.warning(
            f"Training stopped: the loss became NaN, infinite or exploded, usually a learning rate too high for this optimizer. "
            f"The run was saved as **{snapshot.run_id}** (diverged) but not made active."
        )
    elif snapshot.state == "done":
        st.success(f"Saved run **{snapshot.run_id}** ({snapshot.status}) and made it active: test accuracy {snapshot.test_accuracy:.2%}.")
        st.metric("Test accuracy", f"{snapshot.test_accuracy:.2%}")
    elif snapshot.state == "failed":
        st.error(f"Training failed: {snapshot.error}")


running = jobs.snapshot() is not None and jobs.snapshot().is_running
st.fragment(draw_job, run_every=1.0 if running else None)(running)
