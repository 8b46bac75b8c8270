"""Opening Feature maps from another page: the button, and the request it leaves for that page.

Kept apart from the Feature maps machinery so pages that only link to it never import TensorFlow.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.pages import FEATURE_MAPS
from ui.session_keys import FEATURE_MAPS_REQUEST, LAST_PREDICT_INPUT


def open_feature_maps_button(
    target: int | np.ndarray | None,
    key: str,
    where: DeltaGenerator | None = None,
    label: str = "Open its feature maps and Grad-CAM",
    digit: np.ndarray | None = None,
) -> None:
    """A button that opens Feature maps (and its Grad-CAM) on a test image, the last drawing, or any digit.

    Args:
        target: the test image's index; None for the last drawing or upload on Predict; or the
            (28, 28) digit itself (What if's bent version).
        key: the button's widget key, unique on its page.
        where: the container to draw in (default: the page's main area).
        label: the button's text.
        digit: `(28, 28)` model input that becomes Predict's last input when clicked (with target None):
            one digit of a picture of several.
    """
    if (where or st).button(label, key=key):
        if digit is not None:
            st.session_state[LAST_PREDICT_INPUT] = digit
        st.session_state[FEATURE_MAPS_REQUEST] = target
        st.switch_page(FEATURE_MAPS.path)


def take_feature_maps_request() -> tuple[bool, int | np.ndarray | None]:
    """(whether another page sent a request, its target as `open_feature_maps_button` takes it), once."""
    if FEATURE_MAPS_REQUEST not in st.session_state:
        return False, None
    return True, st.session_state.pop(FEATURE_MAPS_REQUEST)
