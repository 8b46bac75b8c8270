"""Train: pick an architecture and recipe, start a background job, watch it learn live."""

import streamlit as st

from core.default_model import DefaultRequest
from core.jobs import JobBusyError
from core.mode import SharedAction
from ui.active_model import follow_training
from ui.entrypoint import require_entrypoint
from ui.loaders.light import get_data, get_jobs
from ui.views.training_job import watch_job
from ui.widgets.demo import allowed_here
from ui.widgets.training_form import form_config, recipe_form

require_entrypoint()

jobs = get_jobs()
data = get_data()
snapshot = jobs.snapshot()
if allowed_here(SharedAction.TRAINING):
    if data.is_sample:
        st.warning(f"Training on the bundled sample ({len(data.x_train):,} images): accuracy will be lower than on full MNIST.")
    recipe_form(max_train_size=len(data.x_train))
    make_default = st.checkbox(
        "Make it the default model for everyone",
        key="train_make_default",
        help="Otherwise it becomes the default only if it beats the current default on the test set; "
        "this session switches to it either way.",
    )
    if st.button("Start training", type="primary", disabled=snapshot is not None and snapshot.is_running):
        try:
            started = jobs.start(form_config(), DefaultRequest.ALWAYS if make_default else DefaultRequest.IF_BETTER)
            follow_training(started.job_id)
        except (ValueError, JobBusyError) as error:
            st.error(str(error))
    elif snapshot is not None and snapshot.is_running:
        st.info("A training is running in this run store (started here, elsewhere or from the command line): you are watching it live.")

watch_job()
