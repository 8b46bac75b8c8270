"""How the Predict page shows one input: preprocessing steps, the answer, the ten probabilities."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.inference import predict_probabilities
from core.preprocessing import PreprocessedDigit
from core.runs import RunRecord
from core.uncertainty import judge
from ui.charts import probability_bars
from ui.resources import get_model

LAST_INPUT_KEY = "predict_last_input"  # read by the Feature maps page


def show_prediction(run: RunRecord, digit: PreprocessedDigit, key: str) -> None:
    """Predicts one preprocessed digit and draws the steps, the answer and the probabilities."""
    probabilities = predict_probabilities(get_model(run.run_id), digit.model_input[np.newaxis])[0]  # (10,)
    st.session_state[LAST_INPUT_KEY] = digit.model_input
    verdict = judge(probabilities, run.unsure_threshold)
    st.image(
        [step.image for step in digit.steps],
        caption=[step.name for step in digit.steps],
        width=110,
    )
    answer, chart = st.columns([1, 3])
    answer.metric("Prediction", verdict.label)
    answer.metric("Confidence", f"{verdict.confidence:.1%}")
    if verdict.digit is None:
        answer.warning(
            f"Not sure: this may not be a digit. Most like a **{int(probabilities.argmax())}** "
            f"({verdict.confidence:.0%}) or a **{verdict.runner_up}** ({verdict.runner_up_probability:.0%})."
        )
    chart.plotly_chart(probability_bars(probabilities), key=f"{key}_bars")
