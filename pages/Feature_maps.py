"""Feature maps: what every convolution and pooling layer of the active model sees in one digit."""

import numpy as np
import streamlit as st

from core.evaluation import misclassified_indices
from core.inference import predict_probabilities
from core.inspection import feature_maps, tile_channels
from core.uncertainty import NOT_A_DIGIT_ANSWER, is_not_a_digit, likeliest_digit
from ui.entrypoint import require_entrypoint
from ui.loaders.explainers import get_feature_extractor
from ui.loaders.light import get_data
from ui.loaders.model import active_probabilities, get_model
from ui.session_keys import LAST_PREDICT_INPUT
from ui.views.explanation import explanation_panel
from ui.widgets.charts import channel_mosaic, probability_bars, single_channel
from ui.widgets.navigation import take_feature_maps_request
from ui.widgets.sidebar import require_active_run

require_entrypoint()

run = require_active_run()

data = get_data()
SOURCES = ["Test image by index", "A misclassified test image", "Last drawing on Predict", "Version from What if"]
requested, target = take_feature_maps_request()  # Sent by another page's "open its feature maps".
if requested and target is None:
    st.session_state["fm_source"] = SOURCES[2]
elif requested and isinstance(target, np.ndarray):
    st.session_state["fm_source"], st.session_state["fm_what_if"] = SOURCES[3], target
elif requested:
    st.session_state["fm_source"], st.session_state["fm_index"] = SOURCES[0], target
st.session_state.setdefault("fm_index", 0)

source = st.radio("Image", SOURCES, horizontal=True, key="fm_source")
if source == SOURCES[0]:
    left, right = st.columns([3, 1])
    if right.button("Random test image"):
        st.session_state["fm_index"] = int(np.random.default_rng().integers(len(data.x_test)))
    index = left.number_input("Test-set index", 0, len(data.x_test) - 1, step=1, key="fm_index")
    image, caption = data.x_test[index], f"test #{index}, true label {data.y_test[index]}"
elif source == SOURCES[1]:
    mistakes = misclassified_indices(data.y_test, active_probabilities(run))[:200]
    if len(mistakes) == 0:
        st.success("The active model makes no mistakes on this test set.")
        st.stop()
    index = st.selectbox("Most confident mistakes", mistakes, key="fm_mistake")
    image, caption = data.x_test[index], f"test #{index}, true label {data.y_test[index]}"
elif source == SOURCES[2]:
    image = st.session_state.get(LAST_PREDICT_INPUT)
    if image is None:
        st.info("Draw or upload a digit on the Predict page first; it will appear here.")
        st.stop()
    caption = "last input on Predict (28x28, as the model sees it)"
else:
    image = st.session_state.get("fm_what_if")
    if image is None:
        st.info("Bend a digit on the What if page and open that version here.")
        st.stop()
    caption = "the version bent on What if"

probabilities = predict_probabilities(get_model(run.run_id), image[np.newaxis])[0]  # (classes,)
left, right = st.columns([1, 3])
left.image(image, width=140, caption=caption, clamp=True)
not_a_digit = bool(is_not_a_digit(probabilities[np.newaxis])[0])
left.metric("Prediction", NOT_A_DIGIT_ANSWER if not_a_digit else likeliest_digit(probabilities))
right.vega_lite_chart(probability_bars(probabilities), key="fm_bars")

explanation_panel(run.run_id, image, likeliest_digit(probabilities))

for feature_map in feature_maps(get_feature_extractor(run.run_id), image):
    height, width, channels = feature_map.shape
    st.subheader(f"{feature_map.layer_name} · {height}×{width}×{channels}")
    mosaic_column, zoom_column = st.columns([3, 1])
    mosaic_column.plotly_chart(channel_mosaic(*tile_channels(feature_map.activations)), key=f"fm_{feature_map.layer_name}")
    channel = zoom_column.number_input("Enlarge channel", 0, channels - 1, 0, key=f"fm_channel_{feature_map.layer_name}")
    zoom_column.plotly_chart(
        single_channel(feature_map.activations[:, :, channel], f"channel {channel}"), key=f"fm_zoom_{feature_map.layer_name}"
    )
