"""Predict: draw a digit or upload photos and scans; every preprocessing step is shown."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core.images import SUPPORTED_FORMATS_TEXT, UPLOAD_EXTENSIONS, ImageDecodeError, decode_image
from core.preprocessing import MAX_WORKING_SIDE, NoInkError, reject_lone_dot
from core.runs import RunRecord
from ui.entrypoint import require_entrypoint
from ui.limits import admitted_uploads
from ui.views.prediction import show_prediction
from ui.widgets.keep_digit import writer_name_input
from ui.widgets.send_on_lift import send_drawings_on_lift
from ui.widgets.sidebar import require_active_run


def canvas_settings() -> tuple[int, bool]:
    """The pen's width and whether the canvas is wide. Outside the canvas's fragment, so a stroke does not
    send them again; changing one reruns the page, fragment included."""
    settings = st.columns([2, 3])
    stroke_width = settings[0].slider("Stroke width", 5, 40, 18, key="predict_stroke_width")
    wide = settings[1].toggle("Wide canvas, for a number of several digits", key="predict_wide")
    return stroke_width, wide


@st.fragment
def draw_and_predict(run: RunRecord, stroke_width: int, wide: bool) -> None:
    """The canvas and its answer. A fragment: a stroke reruns only this, not the page's frame, settings or uploads."""
    # A wide canvas needs the full width; a square one sits beside its result.
    canvas_column, result_column = (st.container(), st.container()) if wide else st.columns([1, 2])
    with canvas_column:
        canvas = st_canvas(
            stroke_width=stroke_width,
            stroke_color="#FFFFFF",
            background_color="#000000",
            width=560 if wide else 280,
            height=280,
            drawing_mode="freedraw",
            return_image_data=True,
            key=f"predict_canvas_{st.session_state['predict_canvas_version']}",
        )
        send_drawings_on_lift(key="predict_send_on_lift")
        if st.button("Clear"):
            # A new key mounts a fresh, empty canvas.
            st.session_state["predict_canvas_version"] += 1
            st.rerun(scope="fragment")
    with result_column:
        drawing = canvas.image_data  # (280, W, 4) uint8 RGBA, white ink on black; None before the first draw
        if drawing is None or not drawing[..., :3].any():
            st.info("Draw a digit (0–9) on the black square: the prediction appears as soon as you lift the mouse.")
        else:
            try:
                reject_lone_dot(drawing, stroke_width)
                show_prediction(run, drawing, key="canvas")
            except NoInkError as error:
                st.warning(str(error))


require_entrypoint()

run = require_active_run()
writer_name_input(st.sidebar)

st.session_state.setdefault("predict_canvas_version", 0)
draw_tab, upload_tab = st.tabs(["Draw", "Upload images"])

with draw_tab:
    draw_and_predict(run, *canvas_settings())

with upload_tab:
    uploads = st.file_uploader(
        f"Photos or scans of digits ({SUPPORTED_FORMATS_TEXT})",
        type=list(UPLOAD_EXTENSIONS),
        accept_multiple_files=True,
        key="predict_uploads",
    )
    for number, upload in enumerate(admitted_uploads(uploads or [])):
        st.markdown(f"**{upload.name}**")
        try:
            image = decode_image(upload.getvalue(), name=upload.name, working_side=MAX_WORKING_SIDE)
            show_prediction(run, image, key=f"upload_{number}")
        except (ImageDecodeError, NoInkError) as error:
            st.error(str(error))  # core messages already name the file
        st.divider()
