"""The NumPy forward pass gives Keras' probabilities for every architecture, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import keras

from core.architectures import build_model
from core.inference import load_model, predict_probabilities
from core.numpy_model import UnsupportedModelError, _same_padding, load_numpy_model
from core.recipes import RECIPES
from core.runs import SHIPPED_RUN_DIR

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _randomised(model: keras.Model, seed: int) -> keras.Model:
    """Kernels as initialised, random biases and batch-norm statistics: no layer can hide as the identity.

    Moderate values keep the logits moderate, so float32 rounding cannot swing a saturated softmax.
    """
    rng = np.random.default_rng(seed)
    changed = 0
    for variable in model.weights:
        name = variable.path.rsplit("/", 1)[-1]
        if name in ("gamma", "moving_variance"):
            variable.assign(rng.uniform(0.5, 1.5, variable.shape).astype(np.float32))
        elif name in ("beta", "moving_mean", "bias"):
            variable.assign(rng.normal(0, 0.1, variable.shape).astype(np.float32))
        changed += name in ("gamma", "moving_variance", "beta", "moving_mean", "bias")
    assert changed >= 2, [variable.path for variable in model.weights]  # every architecture has biases
    return model


@pytest.mark.parametrize("architecture", list(RECIPES))
def test_every_architecture_matches_keras(architecture, tmp_path, sample_data):
    keras.utils.set_random_seed(0)
    model = _randomised(build_model(architecture), seed=1)
    path = tmp_path / "model.keras"
    model.save(path)
    images = sample_data.x_test[:16]
    expected = predict_probabilities(load_model(path), images)
    np.testing.assert_allclose(load_numpy_model(path).probabilities(images), expected, atol=2e-5)


def test_an_eleven_output_model_matches_keras(tmp_path, sample_data):
    keras.utils.set_random_seed(0)
    model = _randomised(build_model("fast", classes=11), seed=1)
    path = tmp_path / "model.keras"
    model.save(path)
    images = sample_data.x_test[:16]
    actual = load_numpy_model(path).probabilities(images)
    assert actual.shape == (16, 11)
    np.testing.assert_allclose(actual, predict_probabilities(load_model(path), images), atol=2e-5)


def test_the_shipped_model_matches_keras(sample_data):
    path = SHIPPED_RUN_DIR / "model.keras"
    images = sample_data.x_test[:200]
    expected = predict_probabilities(load_model(path), images)
    actual = load_numpy_model(path).probabilities(images)
    np.testing.assert_allclose(actual, expected, atol=2e-5)
    assert (actual.argmax(axis=1) == expected.argmax(axis=1)).all()


@pytest.mark.parametrize(("size", "kernel", "stride", "expected"), [(28, 5, 1, (2, 2)), (28, 5, 2, (1, 2)), (14, 3, 1, (1, 1)), (7, 2, 2, (0, 1))])
def test_same_padding_is_tensorflows(size, kernel, stride, expected):
    assert _same_padding(size, kernel, stride) == expected


def test_an_unsupported_layer_is_refused_not_guessed(tmp_path):
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.GlobalAveragePooling2D()(inputs))
    path = tmp_path / "model.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(UnsupportedModelError, match="GlobalAveragePooling2D"):
        load_numpy_model(path)


def test_a_branching_model_is_refused(tmp_path):
    inputs = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inputs)
    # Supported layers only, but two heads on one trunk: not a chain.
    heads = [keras.layers.Dense(10, activation="softmax", name=name)(flat) for name in ("first", "second")]
    path = tmp_path / "model.keras"
    keras.Model(inputs, heads).save(path)
    with pytest.raises(UnsupportedModelError, match="not fed by the one before it"):
        load_numpy_model(path)


def test_a_damaged_file_is_a_value_error(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="could not be read"):
        load_numpy_model(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ValueError):
        load_numpy_model(path)


def test_loading_and_predicting_never_imports_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "from core.numpy_model import load_numpy_model\n"
        "from core.runs import SHIPPED_RUN_DIR\n"
        "load_numpy_model(SHIPPED_RUN_DIR / 'model.keras').probabilities(np.zeros((1, 28, 28), np.uint8))\n"
        "print(sorted(name for name in ('tensorflow', 'keras') if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
