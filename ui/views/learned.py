"""What the network learned: its first filters and dead units (Insight), and the digits it learned late (Runs)."""

from __future__ import annotations

from typing import Sequence

import pandas as pd
import streamlit as st

from core.learned import first_filters, per_class_history
from core.numpy_model import UnsupportedModelError
from core.progress import EpochMetrics
from core.runs import RunRecord
from ui.limits import heavy_work
from ui.loaders.learned import get_numpy_model, test_dead_units
from ui.loaders.light import get_data
from ui.widgets.charts import filter_grid, per_class_curves


def filters_and_dead_units(run: RunRecord) -> None:
    """The first convolution's filters as images, and each rectified layer's share of units that never fire."""
    st.subheader("What the network learned")
    try:
        model = get_numpy_model(run.run_id)
    except UnsupportedModelError as error:
        st.info(f"This network's layers cannot be read without TensorFlow ({error}), so its filters are not shown.")
        return
    filters = first_filters(model)
    filters_column, dead_column = st.columns([3, 2])
    filters_column.plotly_chart(filter_grid(filters.kernels), key="insight_filters")
    count, height, width = filters.kernels.shape
    filters_column.caption(
        f"The {count} filters of `{filters.layer_name}`, {height}×{width} each, every one scaled to its own largest weight: "
        "red pixels want ink, blue ones want paper."
    )
    with heavy_work("Counting dead units"):
        found = test_dead_units(run.run_id, len(get_data().x_test))
    table = pd.DataFrame(
        {
            "layer": [item.layer_name for item in found],
            "dead units": [f"{item.dead} of {item.units}" for item in found],
            "dead share": [item.share for item in found],
        }
    )
    dead_column.dataframe(
        table, hide_index=True,
        column_config={"dead share": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)},
    )
    dead_column.caption(
        "A dead unit (a channel or neuron) never rises above zero on any test digit: it passes nothing on, "
        "and its weights are wasted capacity."
    )


def digits_learned_late(history: Sequence[EpochMetrics]) -> None:
    """One line per digit: its validation accuracy after each epoch of one run."""
    curves = per_class_history(history)
    if curves is None:
        st.caption("This run was trained before the accuracy of each digit was recorded per epoch.")
        return
    late = curves.learned_last()
    st.plotly_chart(per_class_curves(curves.epochs, curves.accuracy, late), key="runs_per_class")
    st.caption(
        "Validation accuracy of each digit after each epoch. Learned last (lowest over the epochs): "
        + ", ".join(str(digit) for digit in late) + "."
    )
