"""Cached per run, and TensorFlow-backed: Grad-CAM explainers, feature-map extractors, feature-space embeddings."""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from core.embedding import Projection, build_feature_model, embed, pca, project
from core.explain import Explainer, build_explainer, grad_cam, overlay, score_cam
from core.inspection import FeatureExtractor, build_feature_extractor
from ui.limits import heavy_work
from ui.loaders.light import get_data
from ui.loaders.model import get_model

logger = logging.getLogger(__name__)

NEIGHBOUR_POOL = 10_000  # training images searched for neighbours: enough for close matches, seconds to embed


@st.cache_resource(max_entries=4)
def get_explainer(run_id: str) -> Explainer:
    return build_explainer(get_model(run_id))


@st.cache_resource(max_entries=4)
def get_feature_model(run_id: str):
    return build_feature_model(get_model(run_id))


GRAD_CAM, SCORE_CAM = "Grad-CAM", "Score-CAM"


def heat_overlay(run_id: str, image: np.ndarray, class_index: int) -> tuple[np.ndarray, str]:
    """(224, 224, 3) uint8: the digit with Grad-CAM's heat for `class_index`, or Score-CAM's where Grad-CAM's map
    is blank (`core.explain.score_cam`); and the name of the method that drew it.

    The whole network runs for either: a few sessions at once, the others wait their turn (ui.limits).
    """
    with heavy_work(GRAD_CAM):
        explainer = get_explainer(run_id)
        heat = grad_cam(explainer, image, class_index)  # (28, 28) float32 in [0, 1]
        if heat.any():
            return overlay(image, heat), GRAD_CAM
        logger.info("Grad-CAM blank for digit %d on run %s: Score-CAM instead", class_index, run_id)
        return overlay(image, score_cam(explainer, image, class_index)), SCORE_CAM


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
