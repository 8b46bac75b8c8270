"""Which model a finished training replaces: the rule, in one place, for the Train page and the CLI.

The store's default is the model every new session starts with; the session that started a training
switches to its run at once. Only a better run, or one its trainer asked for, becomes everyone's default:
a quick 2-epoch run must not silently replace a stronger model for every viewer.
"""

from __future__ import annotations

from enum import StrEnum

from core.progress import RunStatus


class DefaultRequest(StrEnum):
    """What the person who started a training asked for its run (the Train page's checkbox, the CLI's flags)."""

    IF_BETTER = "if-better"  # the default: only if it beats the current default on the test set
    ALWAYS = "always"  # "make it the default for everyone" (Train page) or `--make-default`
    NEVER = "never"  # `--no-activate`


def becomes_session_model(status: RunStatus) -> bool:
    """Whether the starting session switches to the new run: any run that predicts something."""
    return status != RunStatus.DIVERGED  # a NaN model answers nothing


def becomes_default(
    request: DefaultRequest, status: RunStatus, test_accuracy: float, default_accuracy: float | None
) -> bool:
    """Whether a finished run replaces the store's default model.

    Args:
        request: what the trainer asked for.
        status: how the training ended; a diverged run never becomes the default.
        test_accuracy: the new run's test accuracy.
        default_accuracy: the current default's, or None when the store has no model at all.
    """
    if not becomes_session_model(status) or request == DefaultRequest.NEVER:
        return False
    if request == DefaultRequest.ALWAYS or default_accuracy is None:
        return True
    return test_accuracy > default_accuracy
