"""One logging set-up for the command line and the app: every record with its time, level and module.

The handler sits on the project's own top-level loggers, not on the root: Streamlit's loggers do
not propagate and TensorFlow's carries its own handler, so a root handler would print TensorFlow's
lines twice while adding nothing to Streamlit's. Records still propagate, so pytest's caplog sees them.
"""

from __future__ import annotations

import logging
import os

LOG_LEVEL_ENV_VAR = "DIGIT_LAB_LOG_LEVEL"
DEFAULT_LEVEL = logging.INFO
PROJECT_LOGGERS = ("core", "ui")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "digit-lab"

logger = logging.getLogger(__name__)


def configure_logging(level: int | None = None) -> None:
    """Sends the project's records at `level` and above to stderr (default: $DIGIT_LAB_LOG_LEVEL or INFO).

    Safe to call more than once: later calls only change the level, they never add a second handler.
    """
    requested = os.environ.get(LOG_LEVEL_ENV_VAR, "").strip().upper()
    known = logging.getLevelNamesMapping()
    if level is None:
        level = known.get(requested, DEFAULT_LEVEL)
    for name in PROJECT_LOGGERS:
        project_logger = logging.getLogger(name)
        project_logger.setLevel(level)
        if not any(handler.get_name() == _HANDLER_NAME for handler in project_logger.handlers):
            handler = logging.StreamHandler()  # stderr: the terminal, or `streamlit run`'s server log
            handler.set_name(_HANDLER_NAME)
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            project_logger.addHandler(handler)
    if requested and requested not in known:
        logger.warning("$%s=%r is not a logging level; using %s", LOG_LEVEL_ENV_VAR, requested, logging.getLevelName(level))
