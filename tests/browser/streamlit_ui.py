"""The app as the browser tests see it: the server, one tab, and the waits the tests share.

Content is awaited with Playwright's web-first `expect(...)` on `data-testid` selectors. What the DOM cannot
tell (has the rerun a slider or a pen stroke asked for finished?) is read from Streamlit's own websocket
messages: the `script_finished` message that ends every run.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, WebSocket, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.canvas_latency import run_ending

RUN_TIMEOUT_MS = 60_000  # a run may load TensorFlow and a model, or score the test set


@dataclass(frozen=True)
class AppServer:
    """A running `streamlit run Home.py`."""

    base_url: str
    runs_dir: Path  # $DIGIT_LAB_RUNS of the server
    log_path: Path


@dataclass(frozen=True)
class ConsoleError:
    """An error the browser logged: console.error, a failed resource, or an uncaught exception."""

    text: str
    url: str  # the resource or script it came from, "" when unknown


def _is_full_run_finished(payload: bytes | str) -> bool:
    """True for the message that ends a whole-page run that was not interrupted by a rerun."""
    return run_ending(payload) == ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY


def _is_fragment_run_finished(payload: bytes | str) -> bool:
    """True for the message that ends a fragment's run (only the fragment reran) that was not interrupted."""
    return run_ending(payload) == ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


@dataclass
class AppTab:
    """A Playwright page on the app, the console errors it logged and its live websocket."""

    page: Page
    base_url: str
    console_errors: list[ConsoleError] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)  # anything not served by the app itself
    websocket: WebSocket | None = None

    def __post_init__(self) -> None:
        self.page.on("request", self._record_request)
        self.page.on("websocket", self._remember_websocket)
        self.page.on("console", self._record_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(ConsoleError(f"uncaught: {error}", "")))

    def _record_request(self, request) -> None:
        address = urlsplit(request.url)
        if address.scheme in ("http", "https", "ws", "wss") and address.netloc != urlsplit(self.base_url).netloc:
            self.external_requests.append(request.url)

    def _remember_websocket(self, websocket: WebSocket) -> None:
        if websocket.url.endswith("/_stcore/stream"):
            self.websocket = websocket

    def _record_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(ConsoleError(message.text, message.location.get("url", "")))

    @property
    def main(self) -> Locator:
        return self.page.get_by_test_id("stMain")

    @property
    def sidebar(self) -> Locator:
        return self.page.get_by_test_id("stSidebar")

    def open(self, path: str) -> None:
        """Loads a page by URL and waits for its first run to finish without an exception."""
        self.page.goto(self.base_url + path)
        self.wait_until_idle()
        expect(self.page.get_by_test_id("stException")).to_have_count(0)

    def wait_until_idle(self) -> None:
        """Waits until the app is connected and no script runs.

        Only sound when a run is known to have started (after `goto`, or after content of the new run
        appeared); to wait for a run an action triggers, use `finished_run`.
        """
        app = self.page.get_by_test_id("stApp")
        expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=RUN_TIMEOUT_MS)
        expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=RUN_TIMEOUT_MS)

    @contextmanager
    def finished_run(self, timeout_ms: float = RUN_TIMEOUT_MS, fragment: bool = False) -> Iterator[None]:
        """Waits, after the block, for the next run to finish (the one the block's action triggers): a
        whole-page run, or with `fragment` a fragment's (a widget inside an `st.fragment` reruns only that)."""
        assert self.websocket is not None, "open a page first"
        finished = _is_fragment_run_finished if fragment else _is_full_run_finished
        with self.websocket.expect_event("framereceived", predicate=finished, timeout=timeout_ms):
            yield

    def navigate(self, label: str) -> None:
        """Follows a sidebar navigation link (no page reload) and waits for the page to run."""
        with self.finished_run():
            self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=label, exact=True).click()

    def metric(self, label: str, scope: Locator | None = None) -> Locator:
        """The `st.metric` elements with this label in `scope` (the main area by default)."""
        scope = scope if scope is not None else self.main
        label_element = self.page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(f"^{re.escape(label)}$"))
        return scope.get_by_test_id("stMetric").filter(has=label_element)

    def metric_value(self, label: str, scope: Locator | None = None) -> Locator:
        return self.metric(label, scope).get_by_test_id("stMetricValue")
