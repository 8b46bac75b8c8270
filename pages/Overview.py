"""Digit Lab home: what the app is, the data and model in use, and where to go next."""

import streamlit as st

from ui.active_model import active_run
from ui.entrypoint import require_entrypoint
from ui.loaders.light import get_data, get_store
from ui.loaders.warmup import start_tensorflow_warmup
from ui.pages import HOME, PAGES
from ui.views.realworld import real_handwriting

require_entrypoint()

st.write(
    "Train a convolutional network on MNIST's handwritten digits, watch it learn, see where and why "
    "it fails, and test it live by drawing a digit. Everything runs on this machine."
)

active = active_run()
data = get_data()

data_column, model_column = st.columns(2)
with data_column:
    st.subheader("Dataset")
    if data.is_sample:
        st.warning(
            f"Using the **bundled sample** ({len(data.x_train):,} train / {len(data.x_test):,} test images): "
            "full MNIST was not found. Set `DIGIT_LAB_MNIST` to a folder of MNIST files to use all of it."
        )
        with st.expander("Why full MNIST was not found"):
            for problem in data.problems:
                st.caption(problem)
    st.metric("Training images", f"{len(data.x_train):,}")
    st.caption(f"Source: **{data.source}** ({data.location}) · {len(data.x_test):,} test images")
with model_column:
    st.subheader("Active model")
    if active is None:
        st.info("No model yet. Open **Train** and press Start: the fast architecture trains in under a minute.")
    else:
        st.metric("Test accuracy", f"{active.test_accuracy:.2%}")
        st.caption(
            f"{active.run_id} · {active.config.architecture} · {active.parameter_count:,} parameters · "
            f"trained {active.duration_s:.0f} s on {active.data_source}"
        )

if active is not None:
    real_handwriting(active, get_store().realworld_report(active.run_id))

st.subheader("Sample digits")
st.image([data.x_test[index] for index in range(10)], caption=[f"label {data.y_test[index]}" for index in range(10)], width=64)

st.subheader("Explore")
for page in PAGES:
    if page != HOME:
        st.page_link(page.path, label=f"{page.title}: {page.summary}", icon=page.icon)

# Last, after everything is drawn, so Home never waits: TensorFlow and the model load in the background.
start_tensorflow_warmup()
