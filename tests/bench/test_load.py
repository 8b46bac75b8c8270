"""The load benchmark's own pieces: the digits it draws, how it reads training progress, what it sends."""

from __future__ import annotations

import base64
import json
import os
import time

import cv2
import numpy as np
from streamlit.proto.Element_pb2 import Element

from bench.load import CANVAS_SIDE, cpu_seconds, digit_drawings, trained_batches
from bench.streamlit_client import PageRun, canvas_state


def test_drawings_are_white_digits_on_a_black_canvas():
    [url] = digit_drawings(1)
    header, encoded = url.split(",", 1)
    assert header == "data:image/png;base64"
    image = cv2.imdecode(np.frombuffer(base64.b64decode(encoded), np.uint8), cv2.IMREAD_UNCHANGED)
    assert image.shape == (CANVAS_SIDE, CANVAS_SIDE, 4)
    assert (image[..., 3] == 255).all()  # opaque, like the canvas's black background
    assert 0 < (image[..., 0] > 128).mean() < 0.5  # some ink, mostly background


def test_trained_batches_reads_the_progress_bar_across_epochs():
    bar = Element()
    bar.progress.text = "Epoch 3/40 · batch 17/422 · 1,690 images/s · about 900 s left"
    other = Element()
    other.progress.text = "All epochs: 5%"
    assert trained_batches(PageRun(0.1, (other, bar))) == 2 * 422 + 17
    assert trained_batches(PageRun(0.1, (other,))) is None


def test_canvas_state_carries_the_drawing_as_the_canvas_sends_it():
    state = canvas_state("$$ID-abc-predict_canvas_0", "data:image/png;base64,AAAA")
    assert state.id == "$$ID-abc-predict_canvas_0"
    value = json.loads(state.json_value)
    assert value["drawing"]["data"] == "data:image/png;base64,AAAA" and value["drawing"]["raw"]["objects"]


def test_cpu_seconds_counts_the_work_a_process_does():
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # burn 0.3 s of this process's CPU
        pass
    assert cpu_seconds(os.getpid()) - before >= 0.2
