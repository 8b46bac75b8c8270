"""What keeps one shared server quick for everyone: an upload rate per session, and a line for heavy work.

The counting is `core.limits`; here is where it lives (per session, or once per server) and what people
read when they reach a limit.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.limits import RateLimit, ServerBusyError, WorkSlots

UPLOADS_PER_MINUTE = 30
HEAVY_WORK_SLOTS = 2  # the server's two cores: more at once only makes every one of them slower
HEAVY_WORK_PATIENCE_S = 60.0
_UPLOAD_LIMIT_KEY = "limits_upload_rate"
_ADMITTED_KEY = "limits_admitted_uploads"


@st.cache_resource
def heavy_work_slots() -> WorkSlots:
    """One line for the whole server, shared by every session."""
    return WorkSlots(HEAVY_WORK_SLOTS)


@contextlib.contextmanager
def heavy_work(what: str) -> Iterator[None]:
    """Runs the block in one of the server's few heavy-work slots; while it waits, a line says so in its place.

    After HEAVY_WORK_PATIENCE_S without a slot, the page says the server is busy and stops there.
    """
    notice = st.empty()

    def tell(place: int) -> None:
        notice.info(f"{what} waits for a free slot: number {place} in line behind {HEAVY_WORK_SLOTS} running now…")

    try:
        with heavy_work_slots().slot(tell, HEAVY_WORK_PATIENCE_S):
            notice.empty()
            yield
    except ServerBusyError as error:
        notice.warning(str(error))
        st.stop()


def admitted_uploads(uploads: Sequence[UploadedFile]) -> list[UploadedFile]:
    """The uploads this session may have read now: each new file counts once against UPLOADS_PER_MINUTE,
    and a line names the ones held back and when to try again."""
    limit = st.session_state.setdefault(_UPLOAD_LIMIT_KEY, RateLimit(UPLOADS_PER_MINUTE, window_s=60.0))
    already = st.session_state.get(_ADMITTED_KEY, set())
    admitted = [upload for upload in uploads if upload.file_id in already or limit.try_acquire()]
    st.session_state[_ADMITTED_KEY] = admitted_ids = {upload.file_id for upload in admitted}
    held_back = [upload.name for upload in uploads if upload.file_id not in admitted_ids]
    if held_back:
        st.warning(
            f"Upload limit reached: {UPLOADS_PER_MINUTE} images a minute per visitor, so the server stays quick "
            f"for everyone. Not read yet: {', '.join(held_back)}. Any action after "
            f"{limit.seconds_until_free():.0f} s reads them."
        )
    return admitted
