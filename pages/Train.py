"""Train: pick an architecture and recipe, start a background job, watch it learn live."""

import streamlit as st

from core.jobs import JobBusyError
from ui.entrypoint import require_entrypoint
from ui.loaders.light import get_data, get_jobs
from ui.views.training_job import watch_job
from ui.widgets.training_form import form_config, recipe_form

require_entrypoint()

jobs = get_jobs()
data = get_data()
if data.is_sample:
    st.warning(f"Training on the bundled sample ({len(data.x_train):,} images): accuracy will be lower than on full MNIST.")

recipe_form(max_train_size=len(data.x_train))

snapshot = jobs.snapshot()
if st.button("Start training", type="primary", disabled=snapshot is not None and snapshot.is_running):
    try:
        jobs.start(form_config())
    except (ValueError, JobBusyError) as error:
        st.error(str(error))
elif snapshot is not None and snapshot.is_running:
    st.info("A training is running in this run store (started here, elsewhere or from the command line): you are watching it live.")

watch_job()
