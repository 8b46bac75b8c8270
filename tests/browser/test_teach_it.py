"""Teach it your handwriting, end to end in a real browser: draw a digit, correct the model's answer,
find the kept digit on My digits, adapt the model to it, and see the adapted run listed on Runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import open_tab, serve_app
from tests.browser.test_canvas import VERTICAL_STROKE, Canvas
from ui.widgets.keep_digit import WRONG_PLACEHOLDER

ADAPT_TIMEOUT_MS = 240_000  # a process of its own: TensorFlow, 150 steps and two MNIST scorings


@pytest.mark.browser
def test_a_corrected_drawing_is_kept_and_adapts_a_new_run(browser: Browser, tmp_path: Path) -> None:
    # A server of its own: the kept digit and the adapted run must not reach other tests' run store.
    runs_dir, log_path = tmp_path / "runs", tmp_path / "streamlit.log"
    with serve_app(runs_dir, log_path) as server, open_tab(browser, server.base_url) as tab:
        canvas = Canvas(tab)
        canvas.draw((VERTICAL_STROKE,))
        expect(tab.metric_value("Prediction")).to_have_text("1")

        # "Wrong? It is a …": the user says this stroke is a 7.
        with tab.finished_run(fragment=True):
            tab.main.get_by_role("combobox", name=WRONG_PLACEHOLDER).click()
            tab.page.get_by_role("option", name="7", exact=True).click()
        expect(tab.main.get_by_text(re.compile(r"^Kept as a 7 \(#1\)"))).to_be_visible()

        tab.navigate("My digits")
        expect(tab.metric_value("Kept digits")).to_have_text("1")
        expect(tab.main.get_by_text("1 digit(s) match.")).to_be_visible()

        tab.main.get_by_role("button", name="Adapt to my digits").click()
        saved = tab.main.get_by_test_id("stAlertContentSuccess").filter(has_text="Saved the adapted model as run")
        expect(saved).to_be_visible(timeout=ADAPT_TIMEOUT_MS)
        run_id = re.search(r"as run (\S+) \(", saved.inner_text()).group(1)
        expect(tab.metric_value("MNIST test accuracy")).to_have_text(re.compile(r"^\d+\.\d\d%$"))

        tab.navigate("Runs")
        # The runs table is a canvas-drawn grid: its cells are in the page for assistive technology, not visible.
        expect(tab.main.get_by_test_id("stDataFrame").locator("td", has_text=run_id).first).to_be_attached()
        expect(tab.page.get_by_test_id("stException")).to_have_count(0)
