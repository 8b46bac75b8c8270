"""Two people on one demo server, each in their own browser: one switches model, the other's stays, and
neither may train."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect

from core.mode import MODE_KEY, SharedAction, refusal_message
from core.runs import SHIPPED_RUN_ID
from tests.browser.conftest import SHIPPED_RUN_DIR, open_tab, serve_app
from tests.browser.streamlit_ui import AppServer, AppTab

COPY_ID = "20200101-000000-copy"  # a second model: the shipped one saved again as a run


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    runs_dir = tmp_path_factory.mktemp("demo-runs")
    shutil.copytree(SHIPPED_RUN_DIR, runs_dir / COPY_ID)
    log_path: Path = tmp_path_factory.mktemp("demo-server") / "streamlit.log"
    with serve_app(runs_dir, log_path, extra_env={MODE_KEY: "demo"}) as server:
        yield server


def model_caption(user: AppTab):
    return user.sidebar.get_by_test_id("stCaptionContainer").first


@pytest.mark.browser
def test_one_viewer_switches_model_and_the_others_stays(browser: Browser, demo_server: AppServer) -> None:
    with open_tab(browser, demo_server.base_url) as first, open_tab(browser, demo_server.base_url) as second:
        for user in (first, second):
            user.open("/Train")
            expect(model_caption(user)).to_contain_text(SHIPPED_RUN_ID)
            expect(user.main.get_by_text(refusal_message(SharedAction.TRAINING))).to_be_visible()
            expect(user.main.get_by_role("button", name="Start training")).to_have_count(0)

        with first.finished_run():
            first.sidebar.get_by_test_id("stSelectbox").click()
            first.page.get_by_role("option", name=re.compile(COPY_ID)).click()
        expect(model_caption(first)).to_contain_text(COPY_ID)

        for user in (first, second):  # a page switch reruns each session: no reload, same session
            user.navigate("Predict")
        expect(model_caption(first)).to_contain_text(COPY_ID)
        expect(model_caption(second)).to_contain_text(SHIPPED_RUN_ID)
        expect(model_caption(second)).not_to_contain_text(COPY_ID)
        for user in (first, second):
            expect(user.page.get_by_test_id("stException")).to_have_count(0)
