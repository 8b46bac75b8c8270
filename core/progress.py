"""Progress values that training emits and the run store keeps; free of Keras so pages load fast."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self


class _Record:
    """Plain-dict conversion for the progress dataclasses, as written to JSON files."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        """Rebuilds a value saved by `to_dict`, ignoring keys a newer version may have added.

        A field with a default may be missing (saved before it existed); any other missing field is a KeyError.
        """
        return cls(**{
            field.name: values[field.name]
            for field in dataclasses.fields(cls)
            if field.name in values or (field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING)
        })


class RunStatus(StrEnum):
    """How a training ended; saved as its plain string in `summary.json`."""

    COMPLETED = "completed"  # every epoch ran
    STOPPED = "stopped"  # a user asked it to stop; the model is partly trained
    DIVERGED = "diverged"  # the loss overflowed: the model predicts nonsense and is never made active


@dataclass(frozen=True)
class BatchProgress(_Record):
    """Where training stands inside the current epoch."""

    epoch: int  # 1-based
    batch: int  # batches done in this epoch
    batches_per_epoch: int
    loss: float
    accuracy: float
    images_per_second: float
    elapsed_s: float  # seconds of training so far, all epochs


@dataclass(frozen=True)
class EpochMetrics(_Record):
    """One point of the learning curves."""

    epoch: int  # 1-based
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    elapsed_s: float
    complete: bool  # False for an epoch cut short by Stop
    # Share of each digit 0-9 answered right among the validation digits, NaN for a digit absent there;
    # empty in runs saved before it was recorded.
    val_per_class_accuracy: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        # JSON hands back a list; a tuple keeps the value frozen and equal to the one that was saved.
        object.__setattr__(self, "val_per_class_accuracy", tuple(self.val_per_class_accuracy))
