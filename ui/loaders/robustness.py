"""The server's one registry of background robustness measurements (no TensorFlow until one starts)."""

from __future__ import annotations

import streamlit as st

from core.robustness_jobs import RobustnessJobs


@st.cache_resource
def get_robustness_jobs() -> RobustnessJobs:
    """Shared by every browser session, so a measurement started in one tab shows its progress in all."""
    return RobustnessJobs()
