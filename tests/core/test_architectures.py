"""Tests for core.architectures: every network builds and is well formed; `seed` is the original CNN."""

from __future__ import annotations

import numpy as np
import pytest

import keras
from keras import layers

from core.architectures import BUILDERS, CLASSIFIER_LAYER, build_model
from core.mnist_format import IMAGE_SIDE, NUM_CLASSES
from core.recipes import RECIPES

NAMES = sorted(RECIPES)

# The layer names other modules and pages rely on (inspection shows these; Grad-CAM picks convs by name).
EXPECTED_LAYER_NAMES = {
    "seed": ["image", "conv1", "conv2", "pool", "dropout1", "flatten", "dense", "dropout2", "probabilities"],
    "fast": [
        "image",
        *("conv1", "conv1_bn", "conv1_relu"),  # strided: no pooling after the first block
        *("conv2", "conv2_bn", "conv2_relu", "pool2"),
        *("conv3", "conv3_bn", "conv3_relu"),
        "flatten",
        "probabilities",
    ],
    "best": [
        "image",
        *("conv1", "conv1_bn", "conv1_relu", "pool1"),
        *("conv2", "conv2_bn", "conv2_relu", "pool2"),
        *("conv3", "conv3_bn", "conv3_relu", "pool3"),
        "flatten",
        *("dense", "dense_bn", "dense_relu", "dropout"),
        "probabilities",
    ],
}


@pytest.fixture(scope="module")
def models() -> dict[str, keras.Model]:
    """One freshly built model per architecture, shared by the read-only tests below."""
    return {name: build_model(name) for name in NAMES}


def test_every_recipe_has_a_builder_and_every_builder_a_recipe():
    assert set(BUILDERS) == set(RECIPES)


@pytest.mark.parametrize("bad_name", ["resnet", "", "FAST"])
def test_build_model_refuses_an_unknown_name_like_the_recipes_do(bad_name):
    with pytest.raises(ValueError, match="choose one of: fast, best, seed"):
        build_model(bad_name)


@pytest.mark.parametrize("name", NAMES)
def test_model_takes_28x28x1_images_and_outputs_10_classes(models, name):
    model = models[name]
    assert tuple(model.input.shape) == (None, IMAGE_SIDE, IMAGE_SIDE, 1) == (None, 28, 28, 1)
    assert tuple(model.output.shape) == (None, NUM_CLASSES) == (None, 10)
    assert model.name == name


@pytest.mark.parametrize("name", NAMES)
def test_an_eleventh_output_for_not_a_digit_is_built_on_request(name):
    model = build_model(name, classes=11)
    assert tuple(model.output.shape) == (None, 11)
    assert model.get_layer(CLASSIFIER_LAYER).get_config()["units"] == 11


@pytest.mark.parametrize("name", NAMES)
def test_output_is_a_softmax_distribution(models, name):
    model = models[name]
    assert model.get_layer(CLASSIFIER_LAYER).get_config()["activation"] == "softmax"
    images = np.random.default_rng(0).random((6, 28, 28, 1)).astype(np.float32)  # (6, 28, 28, 1)
    probabilities = np.asarray(model(images, training=False))  # (6, 10)
    assert probabilities.shape == (6, 10)
    assert np.all(probabilities >= 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_layer_names_are_unique_and_the_documented_ones(models, name):
    names = [layer.name for layer in models[name].layers]
    assert len(names) == len(set(names))
    assert names == EXPECTED_LAYER_NAMES[name]


@pytest.mark.parametrize("name", NAMES)
def test_build_returns_a_new_model_each_time(name):
    # Every run trains from fresh weights, so build_model() must not hand out a shared, cached model.
    first, second = build_model(name), build_model(name)
    assert first is not second
    assert first.get_layer("conv1").kernel is not second.get_layer("conv1").kernel


def test_seed_is_the_original_network_layer_for_layer(models):
    model = models["seed"]
    body = model.layers[1:]  # without the input layer
    conv = dict(kernel_size=(3, 3), strides=(1, 1), padding="valid", activation="relu")
    expected = [
        (layers.Conv2D, "conv1", dict(filters=32, **conv)),
        (layers.Conv2D, "conv2", dict(filters=64, **conv)),
        (layers.MaxPooling2D, "pool", dict(pool_size=(2, 2), strides=(2, 2), padding="valid")),
        (layers.Dropout, "dropout1", dict(rate=0.25)),
        (layers.Flatten, "flatten", {}),
        (layers.Dense, "dense", dict(units=256, activation="relu", use_bias=True)),
        (layers.Dropout, "dropout2", dict(rate=0.5)),
        (layers.Dense, "probabilities", dict(units=10, activation="softmax", use_bias=True)),
    ]
    assert len(body) == len(expected)
    for layer, (layer_type, name, settings) in zip(body, expected):
        assert type(layer) is layer_type, name
        assert layer.name == name
        config = layer.get_config()
        for key, value in settings.items():
            actual = tuple(config[key]) if isinstance(config[key], list) else config[key]
            assert actual == value, f"{name}.{key}"
    # Output shapes of the original: 26x26x32, 24x24x64, 12x12x64, 9216 flat.
    assert tuple(model.get_layer("conv1").output.shape) == (None, 26, 26, 32)
    assert tuple(model.get_layer("conv2").output.shape) == (None, 24, 24, 64)
    assert tuple(model.get_layer("pool").output.shape) == (None, 12, 12, 64)
    assert tuple(model.get_layer("flatten").output.shape) == (None, 9216)
    # (3*3*1+1)*32 + (3*3*32+1)*64 + (9216+1)*256 + (256+1)*10
    assert model.count_params() == 320 + 18_496 + 2_359_552 + 2_570
