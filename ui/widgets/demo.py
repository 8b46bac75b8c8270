"""On a demo server, the short line that stands in place of an action that would change what everyone shares."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.mode import Mode, SharedAction, refusal_message
from ui.loaders.light import get_mode


def allowed_here(action: SharedAction, where: DeltaGenerator | None = None) -> bool:
    """Whether this server offers `action`; on a demo server, draws the line saying why instead (in `where`).

    Hiding is for people: the run store and the job registry refuse the action themselves (core.mode).
    """
    if get_mode() == Mode.NORMAL:
        return True
    (where if where is not None else st).caption(refusal_message(action))
    return False
