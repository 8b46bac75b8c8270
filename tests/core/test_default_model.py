"""The default rule: a finished run switches its own session, and replaces everyone's default only if it
scores higher or its trainer asked for it; a diverged run does neither."""

from __future__ import annotations

import pytest

from core.default_model import DefaultRequest, becomes_default, becomes_session_model
from core.progress import RunStatus


@pytest.mark.parametrize(
    "request_, status, accuracy, default_accuracy, expected",
    [
        (DefaultRequest.IF_BETTER, RunStatus.COMPLETED, 0.9918, 0.9954, False),  # issue 20's fast run
        (DefaultRequest.IF_BETTER, RunStatus.COMPLETED, 0.9957, 0.9954, True),
        (DefaultRequest.IF_BETTER, RunStatus.COMPLETED, 0.9954, 0.9954, False),  # a tie keeps the default
        (DefaultRequest.IF_BETTER, RunStatus.STOPPED, 0.99, 0.98, True),
        (DefaultRequest.IF_BETTER, RunStatus.COMPLETED, 0.5, None, True),  # no model yet: anything is better
        (DefaultRequest.ALWAYS, RunStatus.COMPLETED, 0.9918, 0.9954, True),
        (DefaultRequest.ALWAYS, RunStatus.STOPPED, 0.3, 0.9954, True),
        (DefaultRequest.NEVER, RunStatus.COMPLETED, 0.9999, 0.9954, False),
        (DefaultRequest.NEVER, RunStatus.COMPLETED, 0.9, None, False),
        (DefaultRequest.ALWAYS, RunStatus.DIVERGED, 0.1, 0.9954, False),
        (DefaultRequest.IF_BETTER, RunStatus.DIVERGED, 0.1, None, False),
    ],
)
def test_becomes_default(request_, status, accuracy, default_accuracy, expected):
    assert becomes_default(request_, status, accuracy, default_accuracy) is expected


@pytest.mark.parametrize("status, expected", [(RunStatus.COMPLETED, True), (RunStatus.STOPPED, True), (RunStatus.DIVERGED, False)])
def test_the_starting_session_switches_to_any_run_that_did_not_diverge(status, expected):
    assert becomes_session_model(status) is expected
