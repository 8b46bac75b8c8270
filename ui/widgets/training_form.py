"""The Train page's form state: kept outside widget state so it survives page switches."""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.config import TrainingConfig

FORM_FIELDS = tuple(field.name for field in dataclasses.fields(TrainingConfig) if field.name != "validation_split")
SAVED_KEY = "train_saved_form"


def _recipe(architecture: str) -> dict[str, object]:
    values = TrainingConfig.for_architecture(architecture).to_dict()
    values["train_size"] = 0  # 0 means every image in the form
    return {field: values[field] for field in FORM_FIELDS}


def restore_form() -> None:
    """Puts the remembered values back into the widgets Streamlit dropped on a page switch."""
    saved = st.session_state.setdefault(SAVED_KEY, _recipe("fast"))
    for field in FORM_FIELDS:
        st.session_state.setdefault(f"train_{field}", saved[field])


def remember_form() -> None:
    """Copies the widgets' values to a key Streamlit keeps across pages."""
    st.session_state[SAVED_KEY] = {field: st.session_state[f"train_{field}"] for field in FORM_FIELDS}


def apply_recipe() -> None:
    """On an architecture change, loads that architecture's recipe into the form."""
    for field, value in _recipe(st.session_state["train_architecture"]).items():
        if field not in ("seed", "train_size"):
            st.session_state[f"train_{field}"] = value
