"""Compare runs' first section: two runs on the same test digits, with McNemar's verdict."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.comparison import OUTCOMES, agreement, disagreements, filter_disagreements, mcnemar_verdict, per_class_accuracy
from core.runs import RunRecord
from ui.loaders.light import get_data
from ui.loaders.model import test_probabilities
from ui.widgets.charts import per_class_difference

SHOWN_DIGITS = 24  # disagreements drawn as images; the table lists them all


def choose_two_runs(runs: list[RunRecord]) -> tuple[RunRecord, RunRecord]:
    """Two pickers, A and B, defaulting to the first two runs listed."""
    by_id = {run.run_id: run for run in runs}
    labels = {run.run_id: run.label for run in runs}
    left, right = st.columns(2)
    a = left.selectbox("Run A", list(by_id), index=0, format_func=labels.__getitem__, key="cmp_a")
    b = right.selectbox("Run B", list(by_id), index=1, format_func=labels.__getitem__, key="cmp_b")
    return by_id[a], by_id[b]


def two_run_comparison(run_a: RunRecord, run_b: RunRecord) -> None:
    """The agreement table, McNemar's verdict, per-digit differences, and the digits where they disagree."""
    data = get_data()
    probabilities_a = test_probabilities(run_a.run_id, len(data.y_test))  # (n_test, 10)
    probabilities_b = test_probabilities(run_b.run_id, len(data.y_test))
    table = agreement(data.y_test, probabilities_a, probabilities_b)

    st.subheader("Agreement")
    counts, verdict = st.columns([1, 2])
    counts.dataframe(
        pd.DataFrame(
            {"B right": [table.both_right, table.only_b_right], "B wrong": [table.only_a_right, table.both_wrong]},
            index=["A right", "A wrong"],
        )
    )
    verdict.markdown(f"**McNemar's exact test.** {mcnemar_verdict(table)}")
    verdict.caption(
        "Only the digits exactly one run gets right count: if neither run were better, each would be "
        "as likely to be the one, like a fair coin."
    )
    difference = per_class_accuracy(data.y_test, probabilities_b) - per_class_accuracy(data.y_test, probabilities_a)
    st.plotly_chart(per_class_difference(difference, "A", "B"), key="cmp_per_class")

    st.subheader("Where they disagree")
    found = disagreements(data.y_test, probabilities_a, probabilities_b)
    left, right = st.columns(2)
    outcome = left.selectbox("Who is right", [None, *OUTCOMES], format_func=lambda o: o or "any", key="cmp_outcome")
    true_digit = right.selectbox("True digit", [None, *range(10)], format_func=lambda d: "any" if d is None else str(d), key="cmp_true")
    shown = filter_disagreements(found, outcome, true_digit)
    st.caption(f"{len(shown.indices):,} of the {len(found.indices):,} digits they answer differently match; the most confident first.")
    st.dataframe(
        pd.DataFrame(
            {
                "index": shown.indices,
                "true": shown.true_digits,
                "A says": shown.a_digits,
                "A confidence": shown.a_confidences,
                "B says": shown.b_digits,
                "B confidence": shown.b_confidences,
                "who is right": shown.outcomes,
            }
        ),
        hide_index=True,
        column_config={
            "A confidence": st.column_config.NumberColumn(format="percent"),
            "B confidence": st.column_config.NumberColumn(format="percent"),
        },
        key="cmp_disagreements",
    )
    if len(shown.indices):
        count = min(SHOWN_DIGITS, len(shown.indices))
        st.image(
            [data.x_test[index] for index in shown.indices[:count]],
            caption=[f"#{i}: A {a} · B {b}" for i, a, b in zip(shown.indices[:count], shown.a_digits, shown.b_digits)],
            width=64,
        )
