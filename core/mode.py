"""Normal or demo: whether this server may change what every viewer of its run store shares.

A demo server is for an audience: people look, draw and inspect, each in their own session, but
nothing they do reaches another viewer. The objects that write shared state (`RunStore`,
`TrainingJobs`) are given the mode and call `refuse_in_demo` first, so hiding a button is never
the only guard: a crafted widget event still reaches the refusal.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Mapping

logger = logging.getLogger(__name__)

MODE_KEY = "DIGIT_LAB_MODE"  # an environment variable, or a top-level key of .streamlit/secrets.toml


class Mode(StrEnum):
    NORMAL = "normal"  # every right: train, stop, delete, make default
    DEMO = "demo"  # shared state is read-only; a session's own choices stay


class SharedAction(StrEnum):
    """Every change a viewer could make to what all viewers of a run store share, named as pages say it."""

    TRAINING = "Training"
    ADAPTING = "Adapting a model to kept digits"
    STOPPING_TRAINING = "Stopping a training"
    CHANGING_DEFAULT = "Changing the default model"
    DELETING_RUN = "Deleting a run"
    SAVING_RUN = "Saving a run"
    MEASURING_ROBUSTNESS = "Measuring a run's robustness"  # its curves are stored with the run
    KEEPING_DIGITS = "Keeping digits"  # adding to, or importing into, the kept digits (core.kept_digits)
    CHANGING_KEPT_DIGITS = "Relabelling or deleting kept digits"


class DemoModeRefusal(PermissionError):
    """A demo server was asked to change state that every viewer shares."""


def refusal_message(action: SharedAction) -> str:
    """The line a page shows in place of `action` on a demo server, and the refusal's message."""
    return f"{action} is off on this demo server: it would change the app for everyone watching."


def refuse_in_demo(mode: Mode, action: SharedAction) -> None:
    """Raises unless `mode` allows changing shared state; call first in every such write.

    Raises:
        DemoModeRefusal: `mode` is demo; the message says which action and why.
    """
    if mode == Mode.DEMO:
        logger.warning("Refused on a demo server: %s", action)
        raise DemoModeRefusal(refusal_message(action))


def parse_mode(value: str | None, source: str) -> Mode:
    """A mode from configuration text; unset or empty is normal.

    Raises:
        ValueError: an unknown mode (a typo must not quietly serve a demo with every right).
    """
    text = (value or "").strip().lower()
    if not text:
        return Mode.NORMAL
    try:
        return Mode(text)
    except ValueError:
        choices = " or ".join(repr(mode.value) for mode in Mode)
        raise ValueError(f"{MODE_KEY} in {source} must be {choices}, not {value!r}.") from None


def configured_mode(environment: Mapping[str, str], secret: str | None = None) -> Mode:
    """The server's mode: demo if the environment or the Streamlit secret says so, else normal.

    Either source can turn demo on and neither can turn the other's demo off, so a stray variable in
    a shell cannot give a demo server's audience every right.

    Raises:
        ValueError: either source names an unknown mode.
    """
    modes = {parse_mode(environment.get(MODE_KEY), "the environment"), parse_mode(secret, "secrets.toml")}
    return Mode.DEMO if Mode.DEMO in modes else Mode.NORMAL
