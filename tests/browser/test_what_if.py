"""What if in a real browser: moving a slider changes the probability shown, through a rerun of the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.streamlit_ui import AppTab

FIRST_RUN_TIMEOUT_MS = 180_000


@pytest.mark.browser
def test_turning_the_digit_changes_its_probability(tab: AppTab, shipped_model_active) -> None:
    tab.page.goto(tab.base_url + "/What_if")
    kept = tab.main.get_by_test_id("stMetric").filter(has_text=re.compile(r"^Probability of \d"))
    value = kept.get_by_test_id("stMetricValue")
    expect(value).to_have_text(re.compile(r"^\d+\.\d%$"))  # the NumPy answer comes before Grad-CAM
    # The first run then loads TensorFlow for Grad-CAM: on a loaded machine that outlasts a usual run's timeout.
    expect(tab.main.get_by_text(re.compile(r"^Grad-CAM for \d$"))).to_be_visible(timeout=FIRST_RUN_TIMEOUT_MS)
    tab.wait_until_idle()
    before = value.inner_text()
    rotation = tab.main.get_by_test_id("stSlider").filter(has_text="Rotation").get_by_role("slider")
    with tab.finished_run(timeout_ms=FIRST_RUN_TIMEOUT_MS):
        rotation.press("End")  # 90 degrees
    expect(tab.main.get_by_test_id("stSlider").filter(has_text="Rotation").get_by_test_id("stSliderThumbValue")).to_have_text("90.00")
    expect(value).not_to_have_text(before)
    expect(kept.get_by_test_id("stMetricDelta")).to_have_text(re.compile(r"^[+-]\d+\.\d points$"))
    print(f"\nprobability of the original answer: {before} -> {value.inner_text()} after a 90° turn")
    expect(tab.page.get_by_test_id("stException")).to_have_count(0)
