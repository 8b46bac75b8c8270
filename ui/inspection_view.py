"""Cached feature extraction for the Feature maps page (one extractor per run)."""

from __future__ import annotations

import streamlit as st

from core.inspection import FeatureExtractor, build_feature_extractor
from ui.resources import get_model


@st.cache_resource(max_entries=4)
def get_feature_extractor(run_id: str) -> FeatureExtractor:
    return build_feature_extractor(get_model(run_id))
