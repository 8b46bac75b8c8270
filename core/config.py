"""The training configuration: one frozen value that the form, the CLI and the run store share."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from core.cpu_features import compute_dtype_here
from core.recipes import DEFAULT_ARCHITECTURE, UJI_SHARE, get_recipe

OPTIMIZERS = ("adam", "adadelta", "sgd", "rmsprop")
SCHEDULES = ("constant", "one-cycle")
# How a model learns "not a digit" (core.non_digit_training): not at all, as an eleventh output trained
# into the network, as an eleventh output fitted on the trained network's features (core.not_a_digit_output),
# or by outlier exposure (a uniform target over the ten digits).
NO_NON_DIGITS = "none"
ELEVENTH_CLASS = "eleventh class"
ELEVENTH_CLASS_AFTER_TRAINING = "eleventh class after training"
OUTLIER_EXPOSURE = "outlier exposure"
NON_DIGIT_METHODS = (NO_NON_DIGITS, ELEVENTH_CLASS, ELEVENTH_CLASS_AFTER_TRAINING, OUTLIER_EXPOSURE)
# The arithmetic a network trains in (core.training_network); its weights, and every saved model, stay float32.
COMPUTE_DTYPES = ("float32", "bfloat16")
MAX_EPOCHS = 200
MAX_BATCH_SIZE = 8192


def check_compute_dtype(compute_dtype: str) -> None:
    """Refuses an arithmetic a network cannot train in.

    Raises:
        ValueError: not one of `COMPUTE_DTYPES`.
    """
    if compute_dtype not in COMPUTE_DTYPES:
        raise ValueError(f"Compute type must be one of {', '.join(COMPUTE_DTYPES)}, not {compute_dtype!r}.")


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that decides what a training run does; same config and seed, same run."""

    architecture: str = DEFAULT_ARCHITECTURE
    epochs: int = 3
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 0.01
    schedule: str = "one-cycle"
    label_smoothing: float = 0.0  # share of each one-hot target spread evenly over all the classes
    compute_dtype: str = "float32"  # one of COMPUTE_DTYPES: the arithmetic of training steps
    train_size: int | None = None  # None: every training image
    validation_split: float = 0.1
    augment: bool = False
    template_digits: bool = False  # add pen-drawn digits in styles MNIST lacks (core.template_digits)
    uji_digits: bool = False  # add UJI writers 1-40's pen digits, drawn anew each epoch (core.uji)
    uji_share: float = UJI_SHARE  # the UJI digits' weight together, as a share of the MNIST digits
    non_digits: str = NO_NON_DIGITS  # how to learn "not a digit" from drawn marks (core.non_digit_training)
    kept_digits: bool = False  # add the digits people kept on Predict (core.kept_digits) to the training data
    kept_digit_count: int | None = None  # how many kept digits the run learned from, once they were counted
    adapted_from: str | None = None  # the run this one fine-tuned on kept digits (core.adapt); None: trained afresh
    seed: int = 0

    @classmethod
    def for_architecture(cls, name: str, **overrides: Any) -> TrainingConfig:
        """The recipe an architecture was designed for, with any field overridden. A recipe's bfloat16 arithmetic
        becomes float32 on a CPU without bfloat16 instructions (see `core.cpu_features`), unless overridden.

        Raises:
            ValueError: unknown architecture or an invalid override.
        """
        recipe = get_recipe(name)
        values = dict(
            architecture=name,
            epochs=recipe.epochs,
            batch_size=recipe.batch_size,
            optimizer=recipe.optimizer,
            learning_rate=recipe.learning_rate,
            schedule=recipe.schedule,
            label_smoothing=recipe.label_smoothing,
            compute_dtype=compute_dtype_here(recipe.compute_dtype),
            augment=recipe.augment,
            template_digits=recipe.template_digits,
            uji_digits=recipe.uji_digits,
            uji_share=recipe.uji_share,
            non_digits=recipe.non_digits,
        )
        values.update({key: value for key, value in overrides.items() if value is not None})
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Refuses values that cannot train, with a message a user can act on.

        Raises:
            ValueError: the first field found out of range.
        """
        get_recipe(self.architecture)
        if not isinstance(self.epochs, int) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise ValueError(f"Epochs must be a whole number from 1 to {MAX_EPOCHS}, not {self.epochs!r}.")
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(
                f"Batch size must be a whole number from 1 to {MAX_BATCH_SIZE}, not {self.batch_size!r}."
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}.")
        check_compute_dtype(self.compute_dtype)
        if self.non_digits not in NON_DIGIT_METHODS:
            raise ValueError(f"Non-digits must be one of {', '.join(NON_DIGIT_METHODS)}, not {self.non_digits!r}.")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 10):
            raise ValueError(f"Learning rate must be above 0 and at most 10, not {self.learning_rate!r}.")
        if not (isinstance(self.label_smoothing, (int, float)) and 0 <= self.label_smoothing < 1):
            raise ValueError(f"Label smoothing must be from 0 up to (not including) 1, not {self.label_smoothing!r}.")
        if not (isinstance(self.uji_share, (int, float)) and 0 < self.uji_share <= 1):
            raise ValueError(f"UJI share must be above 0 and at most 1, not {self.uji_share!r}.")
        if self.train_size is not None and (not isinstance(self.train_size, int) or self.train_size < 20):
            raise ValueError(f"Training-set size must be at least 20 images, not {self.train_size!r}.")
        if self.kept_digit_count is not None and (not isinstance(self.kept_digit_count, int) or self.kept_digit_count < 0):
            raise ValueError(f"Kept-digit count must be a whole number of at least 0, not {self.kept_digit_count!r}.")
        if not 0 < self.validation_split < 0.5:
            raise ValueError(f"Validation split must be between 0 and 0.5, not {self.validation_split!r}.")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingConfig:
        """Rebuilds a config saved by `to_dict`, ignoring keys a newer version may have added."""
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})
