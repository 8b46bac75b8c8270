"""What if: bend a digit (rotate, scale, shift, thin, blur, add noise, hide part of it) and watch the answer change."""

import streamlit as st

from ui.entrypoint import require_entrypoint
from ui.views.what_if import choose_digit, perturbation_sliders, what_if_answer
from ui.widgets.sidebar import require_active_run

require_entrypoint()

run = require_active_run()

chosen = choose_digit()
if chosen is None:
    st.stop()
image, caption = chosen
sliders_column, answer_column = st.columns([1, 2])
with sliders_column:
    perturbation = perturbation_sliders()
with answer_column:
    what_if_answer(run, image, caption, perturbation)
