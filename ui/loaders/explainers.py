"""Cached per run, and TensorFlow-backed: Grad-CAM explainers, feature-map extractors, feature-space embeddings."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.embedding import Projection, build_feature_model, embed, pca, project
from core.explain import Explainer, build_explainer, grad_cam, overlay
from core.inspection import FeatureExtractor, build_feature_extractor
from ui.limits import heavy_work
from ui.loaders.light import get_data
from ui.loaders.model import get_model

NEIGHBOUR_POOL = 10_000  # training images searched for neighbours: enough for close matches, seconds to embed


@st.cache_resource(max_entries=4)
def get_explainer(run_id: str) -> Explainer:
    return build_explainer(get_model(run_id))


@st.cache_resource(max_entries=4)
def get_feature_model(run_id: str):
    return build_feature_model(get_model(run_id))


def grad_cam_overlay(run_id: str, image: np.ndarray, class_index: int) -> tuple[np.ndarray, bool]:
    """(224, 224, 3) uint8: the digit with Grad-CAM heat for `class_index`; and whether the map is blank.

    Gradients through the whole network: a few sessions at once, the others wait their turn (ui.limits).
    """
    with heavy_work("Grad-CAM"):
        heat = grad_cam(get_explainer(run_id), image, class_index)  # (28, 28) float32 in [0, 1]
    return overlay(image, heat), not heat.any()


@st.cache_resource(max_entries=2, show_spinner="Embedding training images…")
def training_features(run_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate-layer features of a fixed subset of training images, and their indices."""
    data = get_data()
    indices = np.random.default_rng(0).permutation(len(data.x_train))[:NEIGHBOUR_POOL]
    return embed(get_feature_model(run_id), data.x_train[indices]), indices


@st.cache_resource(max_entries=2, show_spinner="Projecting the test set…")
def test_projection(run_id: str) -> tuple[Projection, np.ndarray]:
    """PCA fitted on the test set's penultimate features, and the test set's 2-D coordinates."""
    features = embed(get_feature_model(run_id), get_data().x_test)  # (n_test, d)
    projection = pca(features, components=2)
    return projection, project(projection, features)  # (n_test, 2)


@st.cache_resource(max_entries=4)
def get_feature_extractor(run_id: str) -> FeatureExtractor:
    return build_feature_extractor(get_model(run_id))
