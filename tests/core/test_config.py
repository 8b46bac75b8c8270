"""Tests for core.config: architecture recipes, overrides, validation messages and (de)serialisation."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from core.config import MAX_BATCH_SIZE, MAX_EPOCHS, OPTIMIZERS, SCHEDULES, TrainingConfig
from core.cpu_features import compute_dtype_here
from core.recipes import RECIPES


def test_defaults_are_valid():
    TrainingConfig().validate()


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_for_architecture_uses_the_architecture_recipe(name):
    recipe = RECIPES[name]
    config = TrainingConfig.for_architecture(name)
    assert config.architecture == name
    assert config.epochs == recipe.epochs
    assert config.batch_size == recipe.batch_size
    assert config.optimizer == recipe.optimizer
    assert config.learning_rate == recipe.learning_rate
    assert config.schedule == recipe.schedule
    assert config.augment == recipe.augment
    assert config.uji_digits == recipe.uji_digits
    assert config.uji_share == recipe.uji_share
    assert config.template_digits == recipe.template_digits
    assert config.label_smoothing == recipe.label_smoothing
    assert config.compute_dtype == compute_dtype_here(recipe.compute_dtype)  # bfloat16 only where the CPU has it
    # Fields the recipe does not set keep the dataclass defaults.
    assert config.train_size is None
    assert config.validation_split == TrainingConfig().validation_split
    assert config.seed == 0


def test_for_architecture_applies_overrides():
    config = TrainingConfig.for_architecture(
        "seed",
        epochs=2,
        batch_size=64,
        optimizer="adam",
        learning_rate=0.003,
        schedule="one-cycle",
        train_size=500,
        validation_split=0.2,
        augment=True,
        seed=7,
    )
    assert config == TrainingConfig(
        architecture="seed",
        epochs=2,
        batch_size=64,
        optimizer="adam",
        learning_rate=0.003,
        schedule="one-cycle",
        train_size=500,
        validation_split=0.2,
        augment=True,
        seed=7,
    )


def test_for_architecture_ignores_none_overrides():
    # The CLI passes every option, None when not given: the recipe must survive that.
    config = TrainingConfig.for_architecture("seed", epochs=None, learning_rate=None, optimizer=None, augment=None)
    assert config == TrainingConfig.for_architecture("seed")


def test_for_architecture_applies_false_overrides():
    # False is a value, not "not given": turning augmentation off on `best` must work.
    assert TrainingConfig.for_architecture("best").augment is True
    assert TrainingConfig.for_architecture("best", augment=False).augment is False


def test_for_architecture_unknown_architecture_lists_names():
    with pytest.raises(ValueError, match="resnet") as raised:
        TrainingConfig.for_architecture("resnet")
    for name in RECIPES:
        assert name in str(raised.value)


def test_for_architecture_unknown_field_is_refused():
    with pytest.raises(TypeError):
        TrainingConfig.for_architecture("fast", lr=0.1)


INVALID_VALUES = [
    # (field, bad value, words the message must contain)
    ("epochs", 0, "Epochs"),
    ("epochs", -3, "Epochs"),
    ("epochs", MAX_EPOCHS + 1, "Epochs"),
    ("epochs", 2.5, "Epochs"),
    ("epochs", "3", "Epochs"),
    ("batch_size", 0, "Batch size"),
    ("batch_size", -128, "Batch size"),
    ("batch_size", MAX_BATCH_SIZE + 1, "Batch size"),
    ("batch_size", 1_000_000, "Batch size"),
    ("batch_size", 64.0, "Batch size"),
    ("learning_rate", 0.0, "Learning rate"),
    ("learning_rate", 0, "Learning rate"),
    ("learning_rate", -0.01, "Learning rate"),
    ("learning_rate", math.nan, "Learning rate"),
    ("learning_rate", math.inf, "Learning rate"),
    ("learning_rate", -math.inf, "Learning rate"),
    ("learning_rate", 10.5, "Learning rate"),
    ("optimizer", "adamw", "Optimizer"),
    ("optimizer", "Adam", "Optimizer"),
    ("optimizer", "", "Optimizer"),
    ("schedule", "cosine", "Schedule"),
    ("schedule", "onecycle", "Schedule"),
    ("architecture", "resnet", "architecture"),
    ("train_size", 0, "Training-set size"),
    ("train_size", 19, "Training-set size"),
    ("train_size", -100, "Training-set size"),
    ("train_size", 500.5, "Training-set size"),
    ("validation_split", 0.0, "Validation split"),
    ("validation_split", 0.5, "Validation split"),
    ("validation_split", 0.9, "Validation split"),
    ("validation_split", -0.1, "Validation split"),
    ("validation_split", math.nan, "Validation split"),
    ("non_digits", "eleventh", "Non-digits"),
    ("label_smoothing", -0.1, "Label smoothing"),
    ("label_smoothing", 1.0, "Label smoothing"),
    ("label_smoothing", "0.1", "Label smoothing"),
    ("compute_dtype", "float16", "Compute type"),
    ("non_digits", "", "Non-digits"),
    ("uji_share", 0.0, "UJI share"),
    ("uji_share", 1.5, "UJI share"),
    ("uji_share", math.nan, "UJI share"),
    ("uji_share", "0.05", "UJI share"),
]


@pytest.mark.parametrize("field, value, words", INVALID_VALUES)
def test_invalid_field_raises_a_helpful_value_error(field, value, words):
    config = TrainingConfig(**{field: value})
    with pytest.raises(ValueError) as raised:
        config.validate()
    message = str(raised.value)
    assert words in message
    # The message quotes what was given, so a user can see what to change.
    assert repr(value) in message


@pytest.mark.parametrize("field, value, words", [case for case in INVALID_VALUES if case[0] != "architecture"])
def test_for_architecture_validates_overrides(field, value, words):
    with pytest.raises(ValueError, match=words):
        TrainingConfig.for_architecture("fast", **{field: value})


def test_messages_name_the_allowed_choices_and_ranges():
    def message_for(**fields) -> str:
        with pytest.raises(ValueError) as raised:
            TrainingConfig(**fields).validate()
        return str(raised.value)

    assert all(name in message_for(optimizer="adamw") for name in OPTIMIZERS)
    assert all(name in message_for(schedule="cosine") for name in SCHEDULES)
    assert str(MAX_EPOCHS) in message_for(epochs=0)
    assert str(MAX_BATCH_SIZE) in message_for(batch_size=0)
    assert "20" in message_for(train_size=5)


@pytest.mark.parametrize(
    "fields",
    [
        dict(epochs=1),
        dict(epochs=MAX_EPOCHS),
        dict(batch_size=1),
        dict(batch_size=MAX_BATCH_SIZE),
        dict(learning_rate=1e-6),
        dict(learning_rate=10.0),
        dict(train_size=20),
        dict(train_size=None),
        dict(validation_split=0.01),
        dict(validation_split=0.49),
        *[dict(optimizer=name) for name in OPTIMIZERS],
        *[dict(schedule=name) for name in SCHEDULES],
        *[dict(architecture=name) for name in RECIPES],
    ],
)
def test_boundary_values_are_accepted(fields):
    TrainingConfig(**fields).validate()


def test_config_is_frozen():
    config = TrainingConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 5  # type: ignore[misc]


def test_to_dict_from_dict_round_trip_through_json():
    config = TrainingConfig.for_architecture("best", epochs=4, train_size=1234, validation_split=0.2, seed=42)
    values = config.to_dict()
    assert values["architecture"] == "best"
    assert values["train_size"] == 1234
    assert TrainingConfig.from_dict(values) == config
    assert TrainingConfig.from_dict(json.loads(json.dumps(values))) == config


def test_from_dict_ignores_unknown_keys():
    config = TrainingConfig.for_architecture("seed", epochs=3)
    values = {**config.to_dict(), "mixed_precision": True, "weight_decay": 0.1}
    assert TrainingConfig.from_dict(values) == config


def test_from_dict_fills_missing_keys_with_defaults():
    # A run saved before a field existed still loads, with that field at its default.
    values = TrainingConfig(epochs=7).to_dict()
    del values["seed"], values["augment"], values["template_digits"]
    restored = TrainingConfig.from_dict(values)
    assert restored.epochs == 7
    assert restored.seed == TrainingConfig().seed
    assert restored.augment == TrainingConfig().augment
    assert restored.template_digits is False


def test_the_kept_digit_fields_round_trip_and_a_negative_count_is_refused():
    config = TrainingConfig(kept_digits=True, kept_digit_count=12, adapted_from="20261202-043000-best")
    assert TrainingConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert TrainingConfig.from_dict({"architecture": "fast"}).kept_digits is False  # runs saved before the option
    with pytest.raises(ValueError, match="Kept-digit count"):
        TrainingConfig(kept_digit_count=-1).validate()
