"""Home's "Real handwriting" section: the active model's figures on sets it never trained on, and its commonest
mistakes with pictures, from the report `python -m bench.realworld --record` leaves in the run folder."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.realworld_report import SET_LABELS, Confusion, Mistakes, RealworldReport, headline_rows
from core.runs import RunRecord
from core.uncertainty import NOT_A_DIGIT

PICTURE_WIDTH = 56
CONFUSION_COLUMNS = 2


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.2%}"


def _read_as(confusion: Confusion) -> str:
    answer = "not a digit" if confusion.answer == NOT_A_DIGIT else str(confusion.answer)
    return f"{confusion.true} read as {answer}"


def real_handwriting(run: RunRecord, report: RealworldReport | None) -> None:
    """The section for `run`: its figures and mistakes, or how to measure it when it never was."""
    st.subheader("Real handwriting")
    if report is None:
        st.caption(
            "This model was never measured on real handwriting. Measure it with "
            f"`python -m bench.realworld --model {run.path} --record` (it needs the measuring data sets)."
        )
        return
    table = pd.DataFrame(
        [
            {"set": row.name, "digits": "" if row.n is None else f"{row.n:,}", "accuracy": _percent(row.accuracy),
             '"not sure" or "not a digit"': _percent(row.doubted)}
            for row in headline_rows(report, run.test_accuracy)
        ]
    )
    st.dataframe(table, hide_index=True)
    subset = f", a subset of {report.limit} digits per set" if report.limit else ""
    st.caption(
        f"Measured by `python -m bench.realworld` on {report.date[:10]}{subset}, on handwriting the model never "
        "trained on: pendigits' tablet strokes and UJI's writers 41–60 drawn as on the canvas, Semeion's scans and UJI "
        "as photos on paper. For real digits a low \"not sure\" or \"not a digit\" share is better; for the non-digits "
        "a high one is."
    )
    _mistakes(report)


def _mistakes(report: RealworldReport) -> None:
    st.markdown("**What it still gets wrong**")
    if not report.confusions:
        st.caption("No mistakes on pendigits, Semeion or UJI.")
        return
    if len(report.mistakes.images) == 0:
        listed = ", ".join(f"{_read_as(confusion)} ×{confusion.count}" for confusion in report.confusions)
        source = "" if report.confusions_are_complete else " (from each set's five commonest)"
        st.caption(f"Commonest confusions{source}: {listed}. Measure again with `--record` to see them as pictures.")
        return
    pictured = [confusion for confusion in report.confusions if len(report.mistakes.of(confusion).images)]
    columns = st.columns(CONFUSION_COLUMNS)
    for slot, confusion in enumerate(pictured):
        with columns[slot % CONFUSION_COLUMNS]:
            _confusion_pictures(confusion, report.mistakes.of(confusion))
    st.caption("Each picture is the model's own 28×28 input, after the app's preprocessing.")


def _confusion_pictures(confusion: Confusion, pictures: Mistakes) -> None:
    by_set = ", ".join(f"{SET_LABELS.get(name, name)} {count}" for name, count in confusion.by_set.items())
    st.markdown(f"**{_read_as(confusion)}** · {confusion.count}× ({by_set})")
    st.image(
        list(pictures.images),
        caption=[f"{_read_as(confusion)} · {SET_LABELS.get(name, name)}" for name in pictures.set_names],
        width=PICTURE_WIDTH,
    )
