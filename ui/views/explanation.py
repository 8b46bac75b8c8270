"""Feature maps' "where the model looked" panel: Grad-CAM and saliency for any digit's score, and the
nearest training images in the network's feature space (TensorFlow-backed)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.embedding import embed, nearest_neighbours
from core.explain import overlay, saliency
from ui.loaders.explainers import get_feature_model, training_features
from ui.loaders.light import get_data
from ui.loaders.model import get_model
from ui.widgets.grad_cam import show_grad_cam


def explanation_panel(run_id: str, image: np.ndarray, predicted: int) -> None:
    """Explains one digit, the predicted one by default; a picker asks "why not a 7?".

    Args:
        run_id: the run whose model is explained.
        image: (28, 28) the digit: a uint8 test image, or Predict's float32 model input.
        predicted: the digit the model answered, explained first.
    """
    data = get_data()
    st.subheader("Where the model looked")
    explained = st.selectbox(
        "Explain the score of digit", range(10), index=predicted, key="fm_explained",
        help="Pick another digit to ask 'why not a 7?'",
    )
    heat_column, saliency_column, neighbours_column = st.columns([1, 1, 2])
    show_grad_cam(heat_column, run_id, image, explained, width=200)
    saliency_column.image(
        overlay(image, saliency(get_model(run_id), image, explained)), caption=f"saliency for {explained}", width=200
    )
    with neighbours_column:
        features, pool = training_features(run_id)
        query = embed(get_feature_model(run_id), image[np.newaxis])[0]  # (d,)
        neighbours = nearest_neighbours(query, features, k=8)
        st.caption("Nearest training images in the network's feature space")
        st.image(
            [data.x_train[pool[index]] for index in neighbours.indices],
            caption=[f"label {data.y_train[pool[index]]}" for index in neighbours.indices],
            width=56,
        )
