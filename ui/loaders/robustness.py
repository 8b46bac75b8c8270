"""The server's one registry of background robustness measurements (no TensorFlow until one starts)."""

from __future__ import annotations

import streamlit as st

from core.robustness_jobs import RobustnessJobs
from ui.limits import heavy_work_slots
from ui.loaders.light import get_mode


@st.cache_resource
def get_robustness_jobs() -> RobustnessJobs:
    """Shared by every browser session, so a measurement started in one tab shows its progress in all; it
    waits its turn in the same heavy-work line as Grad-CAM."""
    return RobustnessJobs(slots=heavy_work_slots(), mode=get_mode())
