"""A light Streamlit session: speaks the app's own websocket protocol, as the browser does, without a browser.

Twenty Chromium pages saturate two cores by themselves; this client sends the same `BackMsg` protobufs
(a rerun with the page's widget values) and reads the `ForwardMsg`s back until the run has finished,
so a load test measures the server, not the browsers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterable

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

RUN_FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass(frozen=True)
class PageRun:
    """One script run as the browser would see it."""

    seconds: float  # from sending the rerun to the run's end
    elements: tuple[Element, ...]

    def of_type(self, kind: str) -> list[Element]:
        return [element for element in self.elements if element.WhichOneof("type") == kind]

    def metric(self, label: str) -> str | None:
        return next((element.metric.body for element in self.of_type("metric") if element.metric.label == label), None)

    def widget_id(self, kind: str, label: str) -> str:
        """The id of the widget of this kind with this label (the browser sends its value under that id)."""
        for element in self.of_type(kind):
            widget = getattr(element, kind)
            if widget.label == label:
                return widget.id
        raise LookupError(f"no {kind} labelled {label!r} in this run")

    @property
    def exceptions(self) -> list[str]:
        return [element.exception.message for element in self.of_type("exception")]


class StreamlitSession:
    """One browser session on one server: `await session.run(page, widget_states)` per user action."""

    def __init__(self, base_url: str) -> None:
        self._url = base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._socket: websockets.ClientConnection | None = None

    async def __aenter__(self) -> StreamlitSession:
        self._socket = await websockets.connect(self._url, subprotocols=["streamlit"], max_size=None)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def run(self, page_name: str, widget_states: Iterable[WidgetState] = ()) -> PageRun:
        """Reruns `page_name` (its URL path, e.g. "Predict") with these widget values; waits for the run's end."""
        assert self._socket is not None, "use the session as an async context manager"
        message = BackMsg()
        message.rerun_script.page_name = page_name
        message.rerun_script.widget_states.widgets.extend(widget_states)
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        elements: list[Element] = []
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self._socket.recv())
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                elements.append(forward.delta.new_element)
            elif kind == "script_finished" and forward.script_finished in RUN_FINISHED:
                return PageRun(time.perf_counter() - started, tuple(elements))


def canvas_state(canvas_id: str, image_data_url: str) -> WidgetState:
    """What streamlit-drawable-canvas sends when a stroke ends: its fabric drawing and the image as a PNG data URL."""
    drawing = {"raw": {"objects": [{"type": "path"}]}, "data": image_data_url}
    return WidgetState(id=canvas_id, json_value=json.dumps({"drawing": drawing, "backgroundFit": None}))
