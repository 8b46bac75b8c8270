"""Compare runs: two runs side by side with McNemar's test, and robustness curves for several."""

import streamlit as st

from ui.entrypoint import require_entrypoint
from ui.loaders.light import get_store
from ui.views.robustness import robustness_section
from ui.views.run_comparison import choose_two_runs, two_run_comparison
from ui.widgets.sidebar import require_active_run

require_entrypoint()

require_active_run()
runs = get_store().list_runs()
if len(runs) >= 2:
    run_a, run_b = choose_two_runs(runs)
    two_run_comparison(run_a, run_b)
    default = [run_a, run_b]
else:
    st.info("Train a second model on the Train page to compare two runs; the robustness of this one is below.")
    default = runs
st.divider()
robustness_section(runs, default)
