"""Fixtures for the real-browser tests: one `streamlit run` server and one Chromium per session, a fresh tab per test.

The server uses a temporary run store, so the default model is the shipped one until a test trains;
`shipped_model_active` puts it back. Its log is printed under any failing test.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from bench.chromium import CHROMIUM_ARGS, CHROMIUM_MISSING, find_chromium, require_chromium
from tests.browser.streamlit_ui import AppServer, AppTab

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RUN_DIR = PROJECT_ROOT / "core" / "assets" / "shipped_run"
HEALTH_TIMEOUT_S = 60
LOG_TAIL_LINES = 150
VIEWPORT = {"width": 1400, "height": 1000}

SERVER_LOG_KEY = pytest.StashKey[Path]()
FAILED_KEY = pytest.StashKey[bool]()

# Web-first assertions retry until this long; a first model load or test-set scoring takes a few seconds.
expect.set_options(timeout=30_000)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _log_tail(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _wait_until_healthy(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with code {process.returncode}:\n{_log_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # polling a process that is starting up, not waiting on the page
    pytest.fail(f"streamlit was not healthy after {HEALTH_TIMEOUT_S} s:\n{_log_tail(log_path)}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Chromium, the tests that drive it skip for one reason before any server starts.

    Not under CI=true: there Chromium must be present, and the `browser` fixture fails without it.
    """
    if find_chromium() is not None or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(reason=CHROMIUM_MISSING)
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remembers on each test whether its set-up or body failed, for `_server_log_on_failure`."""
    report = yield
    if report.failed and report.when in ("setup", "call"):
        item.stash[FAILED_KEY] = True
    return report


@pytest.fixture(autouse=True)
def _server_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    log_path = request.session.stash.get(SERVER_LOG_KEY, None)
    if request.node.stash.get(FAILED_KEY, False) and log_path is not None:
        print(f"\n----- streamlit server log ({log_path}), last {LOG_TAIL_LINES} lines -----\n{_log_tail(log_path)}")


@contextlib.contextmanager
def serve_app(runs_dir: Path, log_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[AppServer]:
    """`streamlit run Home.py` on a free port with the run store `runs_dir` (and `extra_env`), stopped on leaving."""
    port = _free_port()
    # The server's kept digits live beside its run store, whatever a test's own fixture set.
    env = dict(os.environ, DIGIT_LAB_RUNS=str(runs_dir), DIGIT_LAB_KEPT_DIGITS=str(runs_dir / "kept_digits.sqlite3"))
    env.update(extra_env or {})
    # CI points DIGIT_LAB_MNIST at full MNIST; elsewhere the bundled sample keeps start-up fast and offline.
    env["DIGIT_LAB_MNIST"] = os.environ.get("DIGIT_LAB_MNIST") or "sample"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "Home.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--client.showErrorDetails=full",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process, log_path)
        yield AppServer(base_url=base_url, runs_dir=runs_dir, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[AppServer]:
    """The app on a free port with an empty run store, shared by the session's tests."""
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    request.session.stash[SERVER_LOG_KEY] = log_path
    with serve_app(tmp_path_factory.mktemp("runs"), log_path) as server:
        yield server


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    return app_server.base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; never a downloaded browser build.

    Raises:
        FileNotFoundError: Chromium is missing under CI=true (elsewhere its tests were skipped at collection).
    """
    chromium = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def open_tab(browser: Browser, app_url: str) -> Iterator[AppTab]:
    """A page in its own browser context: its own cookies, so its own Streamlit session."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield AppTab(page=context.new_page(), base_url=app_url)
    finally:
        context.close()


@pytest.fixture()
def tab(browser: Browser, app_url: str) -> Iterator[AppTab]:
    """A fresh browser context and page on the app that records console errors."""
    with open_tab(browser, app_url) as page:
        yield page


@pytest.fixture()
def other_tab(browser: Browser, app_url: str) -> Iterator[AppTab]:
    """A second, independent user of the same server."""
    with open_tab(browser, app_url) as page:
        yield page


@pytest.fixture()
def shipped_model_active(app_server: AppServer) -> None:
    """Makes the shipped model the default again (a training test may make its run the default)."""
    if not SHIPPED_RUN_DIR.is_dir():
        pytest.fail(f"The shipped model is missing: {SHIPPED_RUN_DIR}; Predict needs a model on first start.")
    # With no choice recorded, the run store falls back to the shipped model.
    (app_server.runs_dir / "default.json").unlink(missing_ok=True)
