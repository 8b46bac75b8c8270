"""My digits: the collection kept on Predict, its counts, the session model's accuracy on it, edits, export and import."""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from core.evaluation import class_metrics, confusion_matrix
from core.kept_digits import KeptDigit, KeptDigitStore, KeptDigitStoreError
from core.kept_digits_archive import KeptDigitsArchiveError, export_npz, export_zip, import_zip
from core.mnist_format import NUM_CLASSES
from core.mode import DemoModeRefusal, SharedAction
from core.uncertainty import digit_probabilities
from ui.active_model import active_run
from ui.loaders.light import get_kept_digits, get_predictor
from ui.pages import PREDICT
from ui.widgets.adapt import adapt_to_my_digits
from ui.widgets.demo import allowed_here

logger = logging.getLogger(__name__)

EMPTY = (
    f"No kept digits yet. On **{PREDICT.title}**, draw or upload a digit, then press **Right: keep it** under "
    "the answer, or pick the right digit under **Wrong? It is a …**. Kept digits appear here."
)
SHOWN_AT_MOST = 120
"""Digits drawn in the grid at once, newest first: enough to see a writer's style, few enough to load fast."""
_IMPORT_VERSION = "my_digits_import_version"  # a new uploader key empties the uploader after an import
_OUTCOME = "my_digits_outcome"  # what the last edit or import did, shown on the next run: (kind, text)


@st.cache_data(max_entries=4, show_spinner="Scoring your digits…")
def _predicted_digits(run_id: str, images: np.ndarray) -> np.ndarray:
    """(n,) the run's likeliest digit for each (n, 28, 28) kept digit (NumPy forward pass when it can)."""
    return digit_probabilities(get_predictor(run_id)(images)).argmax(axis=1)


def _show_summary(store: KeptDigitStore, counts: dict[int, int]) -> None:
    """Counts per label and the session model's accuracy on the collection, per digit."""
    run = active_run()
    images, labels = store.training_arrays()  # (n, 28, 28) float32, (n,) uint8
    left, right = st.columns([1, 2])
    left.metric("Kept digits", f"{len(labels):,}")
    table = {"digit": list(range(NUM_CLASSES)), "kept": [counts[digit] for digit in range(NUM_CLASSES)]}
    if run is not None:
        predicted = _predicted_digits(run.run_id, images)
        left.metric(f"Accuracy of {run.run_id} on them", f"{np.mean(predicted == labels):.1%}")
        recall = class_metrics(confusion_matrix(labels, predicted)).recall
        table["accuracy"] = [f"{recall[digit]:.0%}" if counts[digit] else "" for digit in range(NUM_CLASSES)]
    right.bar_chart(table, x="digit", y="kept", height=220)
    left.dataframe(table, hide_index=True)


def _chosen_filters(store: KeptDigitStore) -> dict:
    """The grid's filters as `KeptDigitStore.list` takes them."""
    label_column, wrong_column, writer_column = st.columns(3)
    label = label_column.selectbox(
        "Label", [None, *range(NUM_CLASSES)], format_func=lambda value: "Any" if value is None else str(value),
        key="my_digits_label",
    )
    model_wrong = wrong_column.toggle("Only those the model got wrong", key="my_digits_wrong")
    writer = writer_column.selectbox(
        "Writer", [None, *store.writers()],
        format_func=lambda value: "Anyone" if value is None else (value or "(no name)"), key="my_digits_writer",
    )
    return {"label": label, "model_wrong": model_wrong, "writer": writer}


def _caption(digit: KeptDigit) -> str:
    writer = f" · {digit.writer}" if digit.writer else ""
    return f"#{digit.digit_id}: {digit.label} · said {digit.answer_text}{writer}"


def _show_editor(store: KeptDigitStore, digits: list[KeptDigit]) -> None:
    """Relabel or delete one digit of the grid, seen with its original drawing or crop."""
    by_id = {digit.digit_id: digit for digit in digits}
    chosen_id = st.selectbox(
        "Digit to relabel or delete", list(by_id), format_func=lambda digit_id: _caption(by_id[digit_id]),
        key="my_digits_chosen",
    )
    if chosen_id is None:
        return
    chosen = by_id[chosen_id]
    pictures, controls = st.columns([1, 2])
    pictures.image([store.original_png(chosen.digit_id), chosen.model_input], caption=["original", "model input"], width=110)
    allowed = allowed_here(SharedAction.CHANGING_KEPT_DIGITS, controls)
    label = controls.selectbox("Its true digit", range(NUM_CLASSES), index=chosen.label, key=f"my_digits_relabel_{chosen.digit_id}")
    relabel, delete = controls.columns(2)
    try:
        if relabel.button("Save label", key="my_digits_save_label", disabled=not allowed or label == chosen.label):
            store.relabel(chosen.digit_id, label)
            st.session_state[_OUTCOME] = ("success", f"Digit #{chosen.digit_id} is now a {label}.")
            st.rerun()
        if delete.button("Delete", key="my_digits_delete", disabled=not allowed):
            store.delete(chosen.digit_id)
            st.session_state[_OUTCOME] = ("success", f"Digit #{chosen.digit_id} deleted.")
            st.rerun()
    except (KeptDigitStoreError, DemoModeRefusal, ValueError) as error:  # ValueError: deleted in another session
        st.error(str(error))


def _show_collection(store: KeptDigitStore) -> None:
    """The filtered grid, newest first, and the editor for one of its digits."""
    digits = store.list(**_chosen_filters(store))[::-1]
    if not digits:
        st.info("No kept digit matches these filters.")
        return
    shown = digits[:SHOWN_AT_MOST]
    st.caption(f"{len(digits)} digit(s) match" + (f"; the newest {SHOWN_AT_MOST} are shown." if len(digits) > SHOWN_AT_MOST else "."))
    st.image([digit.model_input for digit in shown], caption=[_caption(digit) for digit in shown], width=84)
    _show_editor(store, digits)


def _import(store: KeptDigitStore, uploader_key: str) -> None:
    """The Import button's callback: imports the chosen zip once, then empties the uploader."""
    upload = st.session_state.get(uploader_key)
    if upload is None:
        return
    try:
        report = import_zip(store, upload.getvalue(), name=upload.name)
    except (KeptDigitsArchiveError, KeptDigitStoreError, DemoModeRefusal) as error:
        st.session_state[_OUTCOME] = ("error", str(error))
        return
    skipped = f" Skipped {len(report.skipped)} row(s): " + "; ".join(report.skipped) if report.skipped else ""
    st.session_state[_OUTCOME] = ("warning" if skipped else "success", f"Imported {report.imported} digit(s) from {upload.name}.{skipped}")
    st.session_state[_IMPORT_VERSION] = st.session_state.get(_IMPORT_VERSION, 0) + 1


def _show_export_import(store: KeptDigitStore, has_digits: bool) -> None:
    """Downloads of the collection (built only when clicked), and the import of an exported zip."""
    st.subheader("Export and import")
    if has_digits:
        zip_column, npz_column = st.columns(2)
        zip_column.download_button(
            "Download a zip (PNG files and a CSV)", lambda: export_zip(store), file_name="my_digits.zip",
            mime="application/zip", on_click="ignore", key="my_digits_zip",
        )
        npz_column.download_button(
            "Download an .npz (MNIST's layout: x, y)", lambda: export_npz(store), file_name="my_digits.npz",
            mime="application/octet-stream", on_click="ignore", key="my_digits_npz",
        )
    if not allowed_here(SharedAction.KEEPING_DIGITS):
        return
    uploader_key = f"my_digits_import_{st.session_state.get(_IMPORT_VERSION, 0)}"
    upload = st.file_uploader("Import a zip exported from My digits", type=["zip"], key=uploader_key)
    st.button("Import", key="my_digits_import", disabled=upload is None, on_click=_import, args=(store, uploader_key))


def _show_outcome() -> None:
    kind, text = st.session_state.pop(_OUTCOME, (None, ""))
    if kind is not None:
        getattr(st, kind)(text)


def _show_adapt(store: KeptDigitStore) -> None:
    """Fine-tuning this session's model on the collection: everyone's digits, or one writer's."""
    st.subheader("Adapt the model to these digits")
    everyone = "Everyone's digits"
    whose = st.selectbox("Whose digits", [everyone, *(name for name in store.writers() if name)], key="my_digits_adapt_writer")
    adapt_to_my_digits(None if whose == everyone else whose)


def show_my_digits() -> None:
    """The whole page; a corrupt or foreign store file is one error message, and the rest of the app is untouched."""
    store = get_kept_digits()
    _show_outcome()
    try:
        counts = store.label_counts()
        if sum(counts.values()) == 0:
            st.info(EMPTY)
        else:
            _show_summary(store, counts)
            _show_adapt(store)
            _show_collection(store)
        _show_export_import(store, has_digits=sum(counts.values()) > 0)
    except KeptDigitStoreError as error:
        st.error(str(error))
