"""The Train page's recipe form: its widgets, and their values kept outside widget state across page switches."""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.config import COMPUTE_DTYPES, NON_DIGIT_METHODS, OPTIMIZERS, SCHEDULES, TrainingConfig
from core.cpu_features import cpu_has_bfloat16
from core.recipes import DEFAULT_ARCHITECTURE, RECIPES

# Not on the form: the split is fixed, and how many kept digits a run saw and which run it adapted are
# filled in by whoever launches the job (core.jobs).
NOT_ON_FORM = ("validation_split", "kept_digit_count", "adapted_from")
FORM_FIELDS = tuple(field.name for field in dataclasses.fields(TrainingConfig) if field.name not in NOT_ON_FORM)
SAVED_KEY = "train_saved_form"


def _recipe(architecture: str) -> dict[str, object]:
    values = TrainingConfig.for_architecture(architecture).to_dict()
    values["train_size"] = 0  # 0 means every image in the form
    return {field: values[field] for field in FORM_FIELDS}


def _restore_form() -> None:
    """Puts the remembered values back into the widgets Streamlit dropped on a page switch."""
    saved = st.session_state.setdefault(SAVED_KEY, _recipe(DEFAULT_ARCHITECTURE))
    for field in FORM_FIELDS:
        st.session_state.setdefault(f"train_{field}", saved[field])


def _form_values() -> dict[str, object]:
    return {field: st.session_state[f"train_{field}"] for field in FORM_FIELDS}


def _remember_form() -> None:
    """Copies the widgets' values to a key Streamlit keeps across pages."""
    st.session_state[SAVED_KEY] = _form_values()


def _apply_recipe() -> None:
    """On an architecture change, loads that architecture's recipe into the form."""
    for field, value in _recipe(st.session_state["train_architecture"]).items():
        if field not in ("seed", "train_size"):
            st.session_state[f"train_{field}"] = value


def recipe_form(max_train_size: int) -> None:
    """Draws the recipe form with the values it had when the user last left the page."""
    _restore_form()
    with st.expander("Training recipe", expanded=True):
        st.selectbox("Architecture", list(RECIPES), key="train_architecture", on_change=_apply_recipe)
        st.caption(RECIPES[st.session_state["train_architecture"]].description)
        left, middle, right = st.columns(3)
        left.number_input("Epochs", min_value=1, max_value=200, step=1, key="train_epochs")
        left.number_input("Batch size", min_value=1, max_value=8192, step=32, key="train_batch_size")
        middle.selectbox("Optimizer", OPTIMIZERS, key="train_optimizer")
        middle.number_input("Learning rate", min_value=0.0, max_value=10.0, format="%.4f", step=0.001, key="train_learning_rate")
        middle.selectbox("Schedule", SCHEDULES, key="train_schedule")
        middle.number_input(
            "Label smoothing",
            min_value=0.0,
            max_value=0.9,
            step=0.05,
            key="train_label_smoothing",
            help="Share of each target spread over all the classes: the model is never pushed to be 100% sure. "
            "`fast` uses 0.1 to reach 99% in one epoch.",
        )
        middle.selectbox(
            "Arithmetic",
            COMPUTE_DTYPES,
            key="train_compute_dtype",
            help="The number type of each training step. bfloat16 halves the bits of the sums (the weights stay "
            "float32): `best`'s steps are about a quarter faster on a CPU with bfloat16 instructions, and about "
            "six times slower on one without, so `best` trains in float32 there. The saved model is float32 "
            "either way.",
        )
        if st.session_state["train_compute_dtype"] == "bfloat16" and not cpu_has_bfloat16():
            middle.warning("This computer's CPU has no bfloat16 instructions: bfloat16 trains about 6x slower here.")
        right.number_input(
            "Training images (0 = all)", min_value=0, max_value=max_train_size, step=1000, key="train_train_size"
        )
        right.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="train_seed")
        right.checkbox("Augmentation (rotate, slant, shift, zoom, bend, pen width)", key="train_augment")
        right.checkbox(
            "Add pen-drawn digits in European styles",
            key="train_template_digits",
            help="11% more training digits drawn from stroke templates: flagged 1s, crossed 7s, open 4s, curled 9s. "
            "Reads European handwriting better; see the README's Real handwriting section for what it costs.",
        )
        right.checkbox(
            "Add real European pen digits (UJI, 40 writers)",
            key="train_uji_digits",
            help="800 pen digits by 40 Spanish writers, drawn anew each epoch with a random pen, size, slant and "
            "position, weighted together as a share of the MNIST digits (below).",
        )
        right.number_input(
            "UJI share",
            min_value=0.01,
            max_value=1.0,
            step=0.01,
            key="train_uji_share",
            disabled=not st.session_state["train_uji_digits"],
            help="The UJI digits' weight together, as a share of the MNIST digits: `best` uses 0.12, `fast` 0.05 "
            "(more cost `fast` MNIST accuracy in its one epoch).",
        )
        right.checkbox(
            "Include my digits",
            key="train_kept_digits",
            help="Adds the digits kept on Predict (see My digits) to the training digits, repeated so they count.",
        )
        right.selectbox(
            "Learn \"not a digit\" from drawn shapes and scribbles",
            NON_DIGIT_METHODS,
            key="train_non_digits",
            help="An eleventh class answers \"not a digit\" outright; fitted after training, it leaves the digits' "
            "answers as they were; outlier exposure only lowers the confidence, so such marks get \"not sure\". "
            "See the README's Not a digit section.",
        )
    _remember_form()


def form_config() -> TrainingConfig:
    """The form's values as a training configuration (checked when a job starts with it)."""
    values = _form_values()
    values["train_size"] = values["train_size"] or None
    return TrainingConfig(**values)
