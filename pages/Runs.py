"""Runs: every trained model, its curves side by side, which one is the default for everyone, downloads and deletion."""

import pandas as pd
import streamlit as st

from core.mode import SharedAction
from core.model_card import architecture_summary, model_card
from core.runs import MODEL_FILE
from ui.entrypoint import require_entrypoint
from ui.active_model import active_run
from ui.loaders.light import get_store
from ui.loaders.model import get_model
from ui.views.learned import digits_learned_late
from ui.widgets.charts import compare_curves
from ui.widgets.demo import allowed_here

require_entrypoint()

active = active_run()
store = get_store()
default_id = store.default_run_id()
runs = store.list_runs()
if not runs:
    st.info("No runs yet: train one on the Train page.")
    st.stop()

table = pd.DataFrame(
    {
        "run": [run.run_id for run in runs],
        "default": [run.run_id == default_id for run in runs],
        "yours": [active is not None and run.run_id == active.run_id for run in runs],
        "architecture": [run.config.architecture for run in runs],
        "test accuracy": [run.test_accuracy for run in runs],
        "status": [run.status for run in runs],
        "epochs": [run.epochs_completed for run in runs],
        "seconds": [round(run.duration_s) for run in runs],
        "seed": [run.config.seed for run in runs],
        "optimizer": [f"{run.config.optimizer} {run.config.learning_rate:g} ({run.config.schedule})" for run in runs],
        "augment": [run.config.augment for run in runs],
        "template digits": [run.config.template_digits for run in runs],
        "UJI digits": [run.config.uji_digits for run in runs],
        "not a digit": [run.config.non_digits for run in runs],
        "created (UTC)": [run.created_at[:16].replace("T", " ") for run in runs],
    }
)
st.dataframe(table.style.format({"test accuracy": "{:.2%}"}), hide_index=True)
for broken in store.broken_runs():
    st.warning(f"Run folder **{broken.run_id}** cannot be read ({broken.reason}); it is hidden from the lists.")

labels = {run.run_id: run.label for run in runs}
compared = st.multiselect("Compare learning curves", list(labels), default=list(labels)[:2], format_func=labels.__getitem__)
if compared:
    st.plotly_chart(compare_curves({run_id: store.history(run_id) for run_id in compared}), key="runs_compare")

st.subheader("One run")
chosen = store.get(st.selectbox("Run", list(labels), format_func=labels.__getitem__, key="runs_chosen"))
actions = st.columns(4)
if allowed_here(SharedAction.CHANGING_DEFAULT, actions[0]) and actions[0].button(
    "Make default for everyone", disabled=chosen.run_id == default_id, help="The model every new session starts with"
):
    store.set_default(chosen.run_id)
    st.rerun()
actions[1].download_button(
    "Download model (.keras)",
    (chosen.path / MODEL_FILE).read_bytes(),
    file_name=f"{chosen.run_id}.keras",
    mime="application/octet-stream",
)
if actions[2].button("Prepare model card"):
    card = model_card(chosen, store.history(chosen.run_id), architecture_summary(get_model(chosen.run_id)))
    st.session_state["runs_card"] = (chosen.run_id, card)
card = st.session_state.get("runs_card")
if card is not None and card[0] == chosen.run_id:
    actions[2].download_button("Download model card (.md)", card[1], file_name=f"{chosen.run_id}-card.md", mime="text/markdown")
    with st.expander("Model card", expanded=True):
        st.markdown(card[1])
if allowed_here(SharedAction.DELETING_RUN, actions[3]):
    with actions[3].popover("Delete…", disabled=chosen.shipped):
        st.write(f"Delete **{chosen.run_id}** and its model for good?")
        if st.button("Yes, delete it", type="primary"):
            store.delete(chosen.run_id)
            st.rerun()
    if chosen.shipped:
        actions[3].caption("The shipped model cannot be deleted.")

digits_learned_late(store.history(chosen.run_id))
