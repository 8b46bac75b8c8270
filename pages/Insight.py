"""Insight: how far to trust the model's confidence, how it arranges digits in its feature space, and what it learned."""

import numpy as np
import streamlit as st

from core.calibration import apply_temperature, confidence_histogram, expected_calibration_error, reliability_bins
from core.embedding import embed, project
from ui.entrypoint import require_entrypoint
from ui.loaders.explainers import get_feature_model, test_projection
from ui.loaders.light import get_data
from ui.loaders.model import active_probabilities
from ui.session_keys import LAST_PREDICT_INPUT
from ui.views.learned import filters_and_dead_units
from ui.widgets.charts import add_digit_thumbnails, confidence_histogram_chart, embedding_scatter, reliability_diagram
from ui.widgets.grad_cam import grad_cam_for_any_digit
from ui.widgets.navigation import open_feature_maps_button
from ui.widgets.sidebar import require_active_run

require_entrypoint()

MAX_THUMBNAILS = 600  # beyond this the map is a carpet of digits and slow to redraw

run = require_active_run()

data = get_data()
probabilities = active_probabilities(run)

st.subheader("Calibration: is a 90% answer right 90% of the time?")
scaled = apply_temperature(probabilities, run.temperature)
ece, scaled_ece = (expected_calibration_error(values, data.y_test) for values in (probabilities, scaled))
top = st.columns(4)
top[0].metric("Expected calibration error", f"{ece:.2%}", help="Mean gap between confidence and accuracy over 15 bins, test set")
top[1].metric(
    "Run's temperature", f"{run.temperature:.2f}",
    help="Fitted on the run's validation digits when it was saved. Above 1: over-confident; below 1: under-confident.",
)
top[2].metric("ECE after scaling", f"{scaled_ece:.2%}", delta=f"{scaled_ece - ece:+.2%}", delta_color="inverse")
top[3].metric("Mean confidence", f"{probabilities.max(axis=1).mean():.2%}")
use_scaled = st.toggle("Show the test set after temperature scaling", key="insight_scaled")
shown = scaled if use_scaled else probabilities
left, right = st.columns(2)
left.plotly_chart(reliability_diagram(reliability_bins(shown, data.y_test)), key="insight_reliability")
right.plotly_chart(confidence_histogram_chart(confidence_histogram(shown, data.y_test)), key="insight_histogram")
st.caption(
    "Temperature scaling divides the log-probabilities by T: confidences change, the predicted digit never does. "
    "The temperature was fitted on validation digits, so the test set judges it fairly."
)

st.subheader("Feature space: the test set as the network sees it")
projection, points = test_projection(run.run_id)
drawing = st.session_state.get(LAST_PREDICT_INPUT)
drawn_point = None
if drawing is not None:
    drawn_point = project(projection, embed(get_feature_model(run.run_id), drawing[np.newaxis]))[0]  # (2,)
figure = embedding_scatter(points, data.y_test, probabilities.argmax(axis=1), drawn_point)
thumbnails = st.slider("Digits drawn as images on the map", 0, MAX_THUMBNAILS, 150, step=50, key="insight_thumbnails")
if thumbnails:
    shown_indices = np.random.default_rng(0).permutation(len(points))[:thumbnails]  # the same digits every time
    add_digit_thumbnails(figure, points[shown_indices], data.x_test[shown_indices])
event = st.plotly_chart(figure, on_select="rerun", selection_mode="points", key="insight_scatter")
st.caption(
    f"2-D PCA of the layer before the classifier ({projection.explained_variance_ratio.sum():.0%} of its variance); "
    "crosses are mistakes; click a point to see its image and Grad-CAM" + ("; the star is your last drawing on Predict." if drawn_point is not None else ".")
)
selected = [point.get("customdata") for point in (event.selection.points if event else []) if point.get("customdata") is not None]
if selected:
    index = int(selected[0])
    image_column, heat_column = st.columns(2)
    image_column.image(data.x_test[index], width=140, caption=f"test #{index}: true {data.y_test[index]}, predicted {probabilities[index].argmax()}")
    grad_cam_for_any_digit(run.run_id, data.x_test[index], int(probabilities[index].argmax()), "insight_explained", heat_column)
    open_feature_maps_button(index, key="insight_open_maps")

filters_and_dead_units(run)
