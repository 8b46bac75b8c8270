"""Insight: how far to trust the model's confidence, and how it arranges digits in its feature space."""

import numpy as np
import streamlit as st

from core.calibration import confidence_histogram, expected_calibration_error, fit_temperature, reliability_bins
from core.embedding import embed, project
from ui.charts import confidence_histogram_chart, embedding_scatter, reliability_diagram
from ui.evaluation_view import active_probabilities
from ui.insight_view import get_feature_model, grad_cam_overlay, test_projection
from ui.predict_view import LAST_INPUT_KEY
from ui.resources import get_data
from ui.sidebar import start_page

run = start_page("Insight", "💡")

data = get_data()
probabilities = active_probabilities(run)

st.subheader("Calibration: is a 90% answer right 90% of the time?")
ece = expected_calibration_error(probabilities, data.y_test)
temperature = fit_temperature(probabilities, data.y_test)
top = st.columns(3)
top[0].metric("Expected calibration error", f"{ece:.2%}", help="Mean gap between confidence and accuracy, 15 bins")
top[1].metric("Fitted temperature", f"{temperature:.2f}", help="Above 1: over-confident; below 1: under-confident")
top[2].metric("Mean confidence", f"{probabilities.max(axis=1).mean():.2%}")
left, right = st.columns(2)
left.plotly_chart(reliability_diagram(reliability_bins(probabilities, data.y_test)), key="insight_reliability")
right.plotly_chart(confidence_histogram_chart(confidence_histogram(probabilities, data.y_test)), key="insight_histogram")
st.caption("Temperature fitted on this test set for display only; the app's answers use the raw probabilities.")

st.subheader("Feature space: the test set as the network sees it")
projection, points = test_projection(run.run_id)
drawing = st.session_state.get(LAST_INPUT_KEY)
drawn_point = None
if drawing is not None:
    drawn_point = project(projection, embed(get_feature_model(run.run_id), drawing[np.newaxis]))[0]  # (2,)
wrong = probabilities.argmax(axis=1) != data.y_test
event = st.plotly_chart(
    embedding_scatter(points, data.y_test, wrong, drawn_point), on_select="rerun", selection_mode="points", key="insight_scatter"
)
st.caption(
    f"2-D PCA of the layer before the classifier ({projection.explained_variance_ratio.sum():.0%} of its variance); "
    "crosses are mistakes" + ("; the star is your last drawing on Predict." if drawn_point is not None else ".")
)
selected = [point.get("customdata") for point in (event.selection.points if event else []) if point.get("customdata") is not None]
if selected:
    index = int(selected[0])
    image_column, heat_column = st.columns(2)
    image_column.image(data.x_test[index], width=140, caption=f"test #{index}: true {data.y_test[index]}, predicted {probabilities[index].argmax()}")
    heat_column.image(grad_cam_overlay(run.run_id, data.x_test[index]), width=140, caption="Grad-CAM, predicted digit")
    if st.button("Open its feature maps"):
        st.session_state["feature_maps_request"] = ("test", index)
        st.switch_page("pages/4_Feature_maps.py")
