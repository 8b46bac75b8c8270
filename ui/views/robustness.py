"""Compare runs' robustness section: stored curves overlaid for several runs, and measuring the missing ones
in the background with progress."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.mode import SharedAction
from core.robustness import RobustnessResult, load_result
from core.runs import RunRecord
from ui.loaders.light import get_data
from ui.loaders.robustness import get_robustness_jobs
from ui.widgets.charts import robustness_curves
from ui.widgets.demo import allowed_here

POLL_S = 1.0


def robustness_section(runs: list[RunRecord], default: list[RunRecord]) -> None:
    """A run picker, then the curves; polls while any picked run is being measured."""
    st.subheader("Robustness: test accuracy as digits drift from MNIST")
    by_id = {run.run_id: run for run in runs}
    chosen = st.multiselect(
        "Runs", list(by_id), default=[run.run_id for run in default], format_func=lambda i: by_id[i].label, key="cmp_robustness_runs"
    )
    jobs = get_robustness_jobs()
    measuring = any(jobs.is_running(run_id) for run_id in chosen)
    st.fragment(run_every=POLL_S if measuring else None)(_curves)([by_id[run_id] for run_id in chosen], measuring)


def _curves(runs: list[RunRecord], was_measuring: bool) -> None:
    """Progress of running measurements, a button for each run not yet measured, and the overlay of the rest."""
    jobs, data = get_robustness_jobs(), get_data()
    results: dict[str, RobustnessResult] = {}
    still_measuring = False
    for run in runs:
        status = jobs.status(run.run_id)
        if status is not None and status.running:
            still_measuring = True
            if status.place_in_line is not None:
                st.info(f"{run.run_id} waits for a heavy-work slot: number {status.place_in_line} in line.")
            else:
                st.progress(status.share_done, text=f"Measuring {run.run_id}: {status.share_done:.0%}")
            continue
        if status is not None and status.error:
            st.error(f"Measuring {run.run_id} failed: {status.error}")
        result = load_result(run.path)
        if result is not None:
            results[run.run_id] = result
        elif allowed_here(SharedAction.MEASURING_ROBUSTNESS) and st.button(
            f"Measure {run.run_id}", key=f"cmp_measure_{run.run_id}",
            help=f"Every perturbation over the {len(data.y_test):,} test digits, in the background",
        ):
            jobs.start(run.run_id, run.path, data.x_test, data.y_test)
            st.rerun()  # the whole page, so this section starts polling
    if was_measuring and not still_measuring:
        st.rerun()  # a measurement finished: draw its curves and stop polling
    if not results:
        st.info("No picked run has been measured yet.")
        return
    st.plotly_chart(robustness_curves({run_id: result.curves for run_id, result in results.items()}), key="cmp_robustness_chart")
    rows = [
        {"run": run_id, "perturbation": curve.name, "strength": strength, "accuracy": accuracy}
        for run_id, result in results.items()
        for curve in result.curves
        for strength, accuracy in zip(curve.strengths, curve.accuracy)
    ]
    table = pd.DataFrame(rows).pivot_table(index=["perturbation", "strength"], columns="run", values="accuracy", sort=False)
    st.dataframe(table, column_config={run_id: st.column_config.NumberColumn(format="percent") for run_id in results})
    sizes = {run_id: f"{result.test_size:,} digits in {result.seconds:.0f} s" for run_id, result in results.items()}
    st.caption("Measured over " + "; ".join(f"{run_id}: {size}" for run_id, size in sizes.items()))
