import numpy as np
import streamlit as st
from core.embedding import embed, nearest_neighbours
from core.explain import overlay, saliency
from ui.insight_view import get_feature_model, grad_cam_overlay, training_features
from ui.resources import get_data, get_model

st.subheader("Where the model looked")
explained = st.selectbox(
    "Explain the score of digit", range(10), index=int(probabilities.argmax()), key="fm_explained",
    help="Pick another digit to ask 'why not a 7?'",
)
heat_column, saliency_column, neighbours_column = st.columns([1, 1, 2])
heat_column.image(grad_cam_overlay(run.run_id, image, explained), caption=f"Grad-CAM for {explained}", width=200)
saliency_column.image(
    overlay(image, saliency(get_model(run.run_id), image, explained)), caption=f"saliency for {explained}", width=200
)
with neighbours_column:
    features, pool = training_features(run.run_id)
    query = embed(get_feature_model(run.run_id), image[np.newaxis])[0]  # (d,)
    neighbours = nearest_neighbours(query, features, k=8)
    st.caption("Nearest training images in the network's feature space")
    st.image(
        [data.x_train[pool[index]] for index in neighbours.indices],
        caption=[f"label {data.y_train[pool[index]]}" for index in neighbours.indices],
        width=56,
    )
