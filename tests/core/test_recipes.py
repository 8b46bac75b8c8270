"""Tests for core.recipes: the three recipes, `seed`'s original settings, lookups and descriptions."""

from __future__ import annotations

import pytest

from core.config import OPTIMIZERS, SCHEDULES, TrainingConfig
from core.recipes import DEFAULT_ARCHITECTURE, RECIPES, Recipe, get_recipe

NAMES = sorted(RECIPES)


def test_the_three_architectures_exist_and_the_default_is_one_of_them():
    assert set(RECIPES) == {"fast", "best", "seed"}
    assert DEFAULT_ARCHITECTURE in RECIPES
    for name, recipe in RECIPES.items():
        assert isinstance(recipe, Recipe)
        assert recipe.name == name


def test_seed_recipe_is_the_original_one():
    seed = get_recipe("seed")
    assert seed.optimizer == "adadelta"
    # Keras 1's Adadelta default; Keras 3's 0.001 barely trains this network.
    assert seed.learning_rate == 1.0
    assert seed.batch_size == 128
    assert seed.epochs == 10
    assert seed.schedule == "constant"
    assert seed.augment is False


@pytest.mark.parametrize("name", NAMES)
def test_recipe_is_a_valid_training_config(name):
    recipe = RECIPES[name]
    assert recipe.optimizer in OPTIMIZERS
    assert recipe.schedule in SCHEDULES
    TrainingConfig.for_architecture(name).validate()


@pytest.mark.parametrize("name", NAMES)
def test_get_recipe_returns_the_registered_one(name):
    assert get_recipe(name) is RECIPES[name]


@pytest.mark.parametrize("bad_name", ["resnet", "", "FAST", " fast", "seed\n"])
def test_get_recipe_unknown_name_lists_the_known_ones(bad_name):
    with pytest.raises(ValueError) as raised:
        get_recipe(bad_name)
    message = str(raised.value)
    assert repr(bad_name) in message
    for name in NAMES:
        assert name in message


@pytest.mark.parametrize("name", NAMES)
def test_each_architecture_has_a_one_line_description(name):
    description = RECIPES[name].description
    assert description.strip() == description
    assert 10 <= len(description) <= 100
    assert "\n" not in description
