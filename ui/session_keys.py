"""The session_state keys that more than one file reads or writes, so each is spelled once.

Keys one page (or the one ui module that draws its widgets) uses alone stay there, prefixed with the page.
"""

LAST_PREDICT_INPUT = "predict_last_input"
"""The last digit Predict read (of a picture of several, the one whose feature maps were asked for),
(28, 28) float32 as the model sees it: written by Predict, read by Feature maps and Insight."""

ACTIVE_RUN = "active_run"
"""The run id of the model this session uses: the run store's default when the session starts, then the
sidebar's choice or the run of a training this session started (ui.active_model)."""

STARTED_JOB = "started_job"
"""The id of the training this session started, until it ends: its run then becomes the session's model."""

FEATURE_MAPS_REQUEST = "feature_maps_request"
"""What another page asks Feature maps to open, once: a test-set index, None for the last input on Predict,
or a (28, 28) digit itself (What if's bent version)."""

KEPT_DIGITS_WRITER = "kept_digits_writer"
"""The writer name this session keeps digits under (ui.widgets.keep_digit), "" for none: set on Predict."""
