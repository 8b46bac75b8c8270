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


running = jobs.snapshot() is not None and jobs.snapshot().is_running
st.fragment(draw_job, run_every=1.0 if running else None)(running)
