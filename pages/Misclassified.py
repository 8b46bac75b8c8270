"""Misclassified: the test images the active model gets wrong, most confident mistakes first."""

import streamlit as st

from core.evaluation import misclassified_indices
from ui.entrypoint import require_entrypoint
from ui.loaders.light import get_data
from ui.loaders.model import active_probabilities
from ui.widgets.charts import probability_bars
from ui.widgets.grad_cam import grad_cam_for_any_digit
from ui.widgets.navigation import open_feature_maps_button
from ui.widgets.results import digit_grid, mistakes_table, paginate
from ui.widgets.sidebar import require_active_run

require_entrypoint()

run = require_active_run()

data = get_data()
probabilities = active_probabilities(run)
all_mistakes = misclassified_indices(data.y_test, probabilities)
accuracy = 1 - len(all_mistakes) / len(data.y_test)
top = st.columns(3)
top[0].metric("Errors", f"{len(all_mistakes):,}")
top[1].metric("Test accuracy", f"{accuracy:.2%}")
top[2].metric("Test images", f"{len(data.y_test):,}")

digit_options = [None, *range(10)]
filters = st.columns(4)
true_digit = filters[0].selectbox("True digit", digit_options, format_func=lambda d: "any" if d is None else str(d), key="mis_true")
predicted_digit = filters[1].selectbox("Predicted as", digit_options, format_func=lambda d: "any" if d is None else str(d), key="mis_predicted")
order = filters[2].selectbox("Sort by", ["confidence", "index"], format_func={"confidence": "most confident first", "index": "test-set index"}.get, key="mis_order")
page_size = filters[3].selectbox("Per page", [24, 48, 96], key="mis_page_size")

indices = misclassified_indices(data.y_test, probabilities, true_digit=true_digit, predicted_digit=predicted_digit, order=order)
st.caption(f"{len(indices):,} mistakes match the filters.")
if len(indices) == 0:
    st.success("No mistakes match these filters.")
    st.stop()

shown = indices[paginate(len(indices), page_size, key="mis_page")]
table = mistakes_table(shown, data.y_test, probabilities)
digit_grid(shown, data.x_test, table)

st.subheader("Inspect one")
selection = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="mis_table")
rows = selection.selection.rows if selection else []
chosen = int(table.iloc[rows[0]]["index"]) if rows else int(shown[0])
left, right = st.columns([1, 3])
left.image(data.x_test[chosen], width=140, caption=f"test #{chosen}, true {data.y_test[chosen]}")
grad_cam_for_any_digit(run.run_id, data.x_test[chosen], int(probabilities[chosen].argmax()), "mis_explained", left)
right.vega_lite_chart(probability_bars(probabilities[chosen]), key="mis_bars")
open_feature_maps_button(int(chosen), key="mis_open_maps")
