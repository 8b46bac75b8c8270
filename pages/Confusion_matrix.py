"""Confusion matrix: which digits are mistaken for which, per-class scores, and the images behind a cell."""

import numpy as np
import streamlit as st

from core.evaluation import cell_indices, row_normalised
from ui.entrypoint import require_entrypoint
from ui.loaders.light import get_data
from ui.loaders.model import active_probabilities, run_confusion
from ui.widgets.charts import confusion_heatmap
from ui.widgets.navigation import open_feature_maps_button
from ui.widgets.results import class_metrics_table, digit_grid, mistakes_table
from ui.widgets.sidebar import require_active_run

require_entrypoint()

run = require_active_run()

data = get_data()
probabilities = active_probabilities(run)
matrix = run_confusion(run.run_id, probabilities, data.y_test)
errors = int(matrix.sum() - matrix.trace())
top = st.columns(2)
top[0].metric("Errors", f"{errors:,}")
top[1].metric("Test accuracy", f"{matrix.trace() / matrix.sum():.2%}")

normalised = st.toggle("Row-normalised (share of each true digit)", key="cm_normalised")
shown = row_normalised(matrix) if normalised else matrix
event = st.plotly_chart(confusion_heatmap(shown, normalised), on_select="rerun", selection_mode="points", key="cm_heatmap")
st.caption("Click a cell to see its images; the diagonal (correct answers) is greyed so mistakes stand out.")

points = event.selection.points if event else []
if points:
    st.session_state["cm_true"], st.session_state["cm_predicted"] = int(points[0]["y"]), int(points[0]["x"])
st.subheader("Per-class precision and recall")
st.dataframe(class_metrics_table(matrix).style.format({"precision": "{:.2%}", "recall": "{:.2%}", "F1": "{:.2%}"}), hide_index=True)

st.subheader("Images in a cell")
# Until a cell is chosen, show the most frequent confusion.
off_diagonal = matrix - np.diag(np.diag(matrix))
worst_true, worst_predicted = np.unravel_index(off_diagonal.argmax(), off_diagonal.shape)
st.session_state.setdefault("cm_true", int(worst_true))
st.session_state.setdefault("cm_predicted", int(worst_predicted))
cell = st.columns(2)
true_digit = cell[0].selectbox("True digit", range(10), key="cm_true")
predicted_digit = cell[1].selectbox("Predicted digit", range(10), key="cm_predicted")
indices = cell_indices(data.y_test, probabilities, true_digit, predicted_digit)
st.caption(f"{len(indices):,} test images are digit {true_digit} predicted as {predicted_digit}.")
shown_indices = indices[:48]
digit_grid(shown_indices, data.x_test, mistakes_table(shown_indices, data.y_test, probabilities))
if len(shown_indices):
    chosen_column, button_column = st.columns([3, 1])
    chosen = chosen_column.selectbox("Look inside one of them", shown_indices, key="cm_chosen", format_func=lambda i: f"test #{i}")
    open_feature_maps_button(int(chosen), key="cm_open_maps", where=button_column)
