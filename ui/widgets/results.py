"""Test-set results as the analysis pages show them: the per-class and mistakes tables, a grid of digits, a pager."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from core.evaluation import class_metrics


def class_metrics_table(matrix: np.ndarray) -> pd.DataFrame:
    metrics = class_metrics(matrix)
    return pd.DataFrame(
        {
            "digit": range(10),
            "precision": metrics.precision,
            "recall": metrics.recall,
            "F1": metrics.f1,
            "support": metrics.support,
        }
    )


def mistakes_table(indices: Sequence[int], true_labels: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """One row per test image: index, true digit, predicted digit, confidence."""
    indices = np.asarray(indices, dtype=np.int64)
    predicted = probabilities[indices].argmax(axis=1)
    return pd.DataFrame(
        {
            "index": indices,
            "true": true_labels[indices].astype(int),
            "predicted": predicted,
            "confidence": probabilities[indices, predicted],
        }
    )


def digit_grid(indices: Sequence[int], images: np.ndarray, table: pd.DataFrame, columns: int = 8) -> None:
    """Test images in a grid, each captioned with its index, true → predicted and confidence."""
    rows = table.set_index("index")
    for start in range(0, len(indices), columns):
        cells = st.columns(columns)
        for cell, index in zip(cells, indices[start : start + columns]):
            row = rows.loc[index]  # one row's values share a dtype: the digits come back as floats
            cell.image(images[index], width=84)
            cell.caption(f"#{index}: {int(row['true'])} → **{int(row['predicted'])}** ({row['confidence']:.0%})")


def paginate(count: int, page_size: int, key: str) -> slice:
    """A page selector; returns the slice of items on the chosen page."""
    pages = max(1, int(np.ceil(count / page_size)))
    page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1, key=key)
    start = (int(page) - 1) * page_size
    return slice(start, min(start + page_size, count))
