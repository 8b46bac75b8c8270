"""Tests for core.inspection: which layers are shown, and the feature maps they produce."""

from __future__ import annotations

import numpy as np
import pytest

import keras

from core.architectures import build_model
from core.inspection import FeatureMap, build_feature_extractor, feature_layer_names, feature_maps
from core.recipes import RECIPES

NAMES = sorted(RECIPES)

EXPECTED_FEATURE_LAYERS = {
    "seed": ["conv1", "conv2", "pool"],
    "fast": ["conv1_relu", "conv2_relu", "pool2", "conv3_relu"],
    "best": ["conv1_relu", "pool1", "conv2_relu", "pool2", "conv3_relu", "pool3"],
}


@pytest.fixture(scope="module")
def models() -> dict[str, keras.Model]:
    keras.utils.set_random_seed(0)
    return {name: build_model(name) for name in NAMES}


@pytest.fixture(scope="module")
def extractors(models):
    return {name: build_feature_extractor(model) for name, model in models.items()}


@pytest.fixture(scope="module")
def digit(sample_data) -> np.ndarray:
    return sample_data.x_test[0]  # (28, 28) uint8


def slow_feature_layer_names(model: keras.Model) -> list[str]:
    """Conv layers with their own non-linear activation, ReLU layers, and pooling layers, in order."""
    names = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D" and layer.get_config()["activation"] != "linear":
            names.append(layer.name)
        elif kind == "Activation" and len(layer.output.shape) == 4:
            names.append(layer.name)
        elif kind == "MaxPooling2D":
            names.append(layer.name)
    return names


@pytest.mark.parametrize("name", NAMES)
def test_feature_layers_are_post_activation_convs_and_pools_in_order(models, name):
    names = feature_layer_names(models[name])
    assert names == EXPECTED_FEATURE_LAYERS[name]
    assert names == slow_feature_layer_names(models[name])
    # A Conv2D followed by batch norm is linear: its ReLU is shown, never the raw convolution.
    for layer_name in names:
        layer = models[name].get_layer(layer_name)
        assert type(layer).__name__ != "Conv2D" or layer.get_config()["activation"] == "relu"


@pytest.mark.parametrize("name", NAMES)
def test_feature_map_shapes_match_the_layer_outputs(models, extractors, digit, name):
    extractor = extractors[name]
    assert extractor.layer_names == tuple(EXPECTED_FEATURE_LAYERS[name])
    maps = feature_maps(extractor, digit)
    assert [feature_map.layer_name for feature_map in maps] == EXPECTED_FEATURE_LAYERS[name]
    for feature_map in maps:
        assert isinstance(feature_map, FeatureMap)
        expected_shape = tuple(models[name].get_layer(feature_map.layer_name).output.shape[1:])
        assert feature_map.shape == expected_shape
        assert feature_map.activations.dtype == np.float32
    if name == "seed":
        assert [feature_map.shape for feature_map in maps] == [(26, 26, 32), (24, 24, 64), (12, 12, 64)]


@pytest.mark.parametrize("name", NAMES)
def test_activations_after_relu_are_not_negative(extractors, digit, name):
    for feature_map in feature_maps(extractors[name], digit):
        assert np.all(np.isfinite(feature_map.activations))
        assert feature_map.activations.min() >= 0, feature_map.layer_name  # ReLU, or a max-pool of ReLUs
        assert feature_map.activations.max() > 0, feature_map.layer_name  # not a dead map


@pytest.mark.parametrize("name", NAMES)
def test_feature_maps_equal_the_layer_outputs_of_the_classifier(models, extractors, digit, name):
    # The extractor shares the classifier's weights: its maps are what the classifier computes.
    model = models[name]
    batch = (digit[np.newaxis, ..., np.newaxis] / 255.0).astype(np.float32)  # (1, 28, 28, 1)
    for feature_map in feature_maps(extractors[name], digit):
        probe = keras.Model(model.input, model.get_layer(feature_map.layer_name).output)
        np.testing.assert_allclose(feature_map.activations, np.asarray(probe(batch, training=False))[0], atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_blank_and_written_digits_give_different_maps(extractors, digit, name):
    blank = np.zeros((28, 28), np.uint8)
    for written, empty in zip(feature_maps(extractors[name], digit), feature_maps(extractors[name], blank)):
        assert not np.allclose(written.activations, empty.activations), written.layer_name


def test_uint8_and_scaled_float_images_give_the_same_maps(extractors, digit):
    as_uint8 = feature_maps(extractors["seed"], digit)
    as_float = feature_maps(extractors["seed"], digit.astype(np.float32) / 255.0)
    for a, b in zip(as_uint8, as_float):
        np.testing.assert_allclose(a.activations, b.activations, atol=1e-5)


def test_feature_maps_of_a_model_loaded_from_a_run(tmp_path, models, digit):
    # The dashboard inspects models loaded from the run store, not freshly built ones.
    from core.inference import load_model

    path = tmp_path / "model.keras"
    models["fast"].save(path)
    loaded = load_model(path)
    maps = feature_maps(build_feature_extractor(loaded), digit)
    original = feature_maps(build_feature_extractor(models["fast"]), digit)
    assert [m.layer_name for m in maps] == EXPECTED_FEATURE_LAYERS["fast"]
    for a, b in zip(maps, original):
        np.testing.assert_allclose(a.activations, b.activations, atol=1e-5)


def test_wrong_image_shape_is_refused(extractors):
    with pytest.raises(ValueError, match="28, 28"):
        feature_maps(extractors["fast"], np.zeros((32, 32), np.uint8))
