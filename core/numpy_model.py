"""A saved network's forward pass in NumPy: answers for single drawings without importing TensorFlow.

Importing TensorFlow takes about 3 s here, most of the wait for a first answer on Predict and of a
`python -m core predict`. Our networks are plain chains of eight layer types, so reading the `.keras`
file (a zip of `config.json` and `model.weights.h5`) and running the chain in NumPy answers in
milliseconds, with the same numbers to float32 rounding (tests compare every architecture with Keras).
Anything else raises `UnsupportedModelError`, and callers fall back to Keras.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import h5py
import numpy as np

from core.blas_threads import one_blas_thread
from core.calibration import softmax
from core.inference import to_model_input

logger = logging.getLogger(__name__)

FEW_DIGITS = 32
"""Up to this many digits (a drawing, a page of them) the products run on one BLAS thread: spread over
the cores they wait more than they work (see `core.blas_threads`); a larger batch is worth every core."""

_WEIGHTED_LAYERS = {"Conv2D", "BatchNormalization", "Dense"}
_SUPPORTED_LAYERS = _WEIGHTED_LAYERS | {"InputLayer", "Activation", "MaxPooling2D", "Dropout", "Flatten"}


class UnsupportedModelError(ValueError):
    """The file holds a layer or wiring this module does not run; use Keras instead."""


@dataclass(frozen=True)
class _Layer:
    kind: str
    config: dict[str, Any]
    weights: tuple[np.ndarray, ...]


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


_ACTIVATIONS = {"linear": lambda x: x, "relu": _relu, "softmax": softmax}


def _activate(x: np.ndarray, name: str) -> np.ndarray:
    if name not in _ACTIVATIONS:
        raise UnsupportedModelError(f"activation {name!r}")
    return _ACTIVATIONS[name](x)


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding: output ceil(size / stride), the odd pixel of padding after."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _conv2d(x: np.ndarray, layer: _Layer) -> np.ndarray:
    """(n, h, w, c) -> (n, h', w', filters), as one matrix product over the unrolled sliding windows."""
    config, kernel = layer.config, layer.weights[0]  # kernel (kh, kw, c, filters)
    if config["dilation_rate"] != [1, 1] or config["groups"] != 1 or config["data_format"] != "channels_last":
        raise UnsupportedModelError(f"Conv2D {config['name']} with dilation, groups or channels first")
    (kernel_h, kernel_w), (stride_h, stride_w) = config["kernel_size"], config["strides"]
    if config["padding"] == "same":
        x = np.pad(x, ((0, 0), _same_padding(x.shape[1], kernel_h, stride_h), _same_padding(x.shape[2], kernel_w, stride_w), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_h, kernel_w), axis=(1, 2))  # (n, oh, ow, c, kh, kw)
    windows = windows[:, ::stride_h, ::stride_w]
    count, out_h, out_w = windows.shape[:3]
    # One BLAS matrix product over the unrolled windows (im2col): about three times einsum's speed here.
    columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(count * out_h * out_w, -1)  # (n*oh*ow, kh*kw*c)
    out = (columns @ kernel.reshape(-1, kernel.shape[-1])).reshape(count, out_h, out_w, -1)  # (n, oh, ow, filters)
    if config["use_bias"]:
        out = out + layer.weights[1]
    return _activate(out, config["activation"])


def _batch_norm(x: np.ndarray, layer: _Layer) -> np.ndarray:
    """Inference-mode batch normalisation with the moving statistics."""
    config, weights = layer.config, list(layer.weights)
    if config["axis"] not in (-1, 3, [-1], [3]):
        raise UnsupportedModelError(f"BatchNormalization {config['name']} over axis {config['axis']}")
    gamma = weights.pop(0) if config["scale"] else 1.0
    beta = weights.pop(0) if config["center"] else 0.0
    mean, variance = weights
    return (x - mean) / np.sqrt(variance + config["epsilon"]) * gamma + beta


def _max_pool(x: np.ndarray, layer: _Layer) -> np.ndarray:
    config = layer.config
    pool_h, pool_w = config["pool_size"]
    if config["strides"] not in (None, config["pool_size"]) or config["padding"] != "valid":
        raise UnsupportedModelError(f"MaxPooling2D {config['name']} with overlapping windows or padding")
    n, height, width, channels = x.shape
    out_h, out_w = height // pool_h, width // pool_w
    x = x[:, : out_h * pool_h, : out_w * pool_w]
    return x.reshape(n, out_h, pool_h, out_w, pool_w, channels).max(axis=(2, 4))


def _dense(x: np.ndarray, layer: _Layer) -> np.ndarray:
    out = x @ layer.weights[0]
    if layer.config["use_bias"]:
        out = out + layer.weights[1]
    return _activate(out, layer.config["activation"])


_FORWARD = {
    "InputLayer": lambda x, layer: x,
    "Dropout": lambda x, layer: x,  # inference: dropout is the identity
    "Flatten": lambda x, layer: x.reshape(len(x), -1),  # channels last, as Keras flattens
    "Activation": lambda x, layer: _activate(x, layer.config["activation"]),
    "Conv2D": _conv2d,
    "BatchNormalization": _batch_norm,
    "MaxPooling2D": _max_pool,
    "Dense": _dense,
}


class NumpyModel:
    """A loaded chain of layers; call `probabilities` like `core.inference.predict_probabilities`."""

    def __init__(self, layers: list[_Layer]) -> None:
        self.layers = layers

    def layer_outputs(self, images: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        """Each layer's name and output for (n, 28, 28) digits, input to output."""
        x = to_model_input(images)  # (n, 28, 28, 1) float32
        for layer in self.layers:
            x = _FORWARD[layer.kind](x, layer)
            yield layer.config["name"], x

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) uint8 or float in [0, 1] -> (n, classes) float32 probabilities (10, or 11 with "not a digit")."""
        with one_blas_thread() if len(images) <= FEW_DIGITS else nullcontext():
            *_, (_, output) = self.layer_outputs(images)
        return output.astype(np.float32)


def _snake_case(class_name: str) -> str:
    """Keras' own naming of a layer class in the weights file: Conv2D -> conv2d, BatchNormalization -> batch_normalization."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def _chain(layer_configs: list[dict[str, Any]]) -> None:
    """Checks every layer takes exactly the previous layer's output: a plain chain."""
    for previous, layer in zip(layer_configs, layer_configs[1:]):
        nodes = layer.get("inbound_nodes") or []
        arguments = nodes[0]["args"] if len(nodes) == 1 else []
        sources = [argument["config"]["keras_history"][0] for argument in arguments if isinstance(argument, dict)]
        if sources != [previous["config"]["name"]]:
            raise UnsupportedModelError(f"layer {layer['config']['name']} is not fed by the one before it")


def load_numpy_model(path: Path) -> NumpyModel:
    """Reads a `.keras` file (config and weights only: nothing in it is ever executed).

    Raises:
        UnsupportedModelError: a layer type, option or wiring outside what this module runs.
        ValueError: the file is missing or not a readable `.keras` archive.
    """
    if not path.is_file():
        raise ValueError(f"Model file {path} does not exist.")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            weights_file = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise ValueError(f"Model file {path} could not be read: {error}") from error
    if config.get("class_name") not in ("Functional", "Sequential"):
        raise UnsupportedModelError(f"model class {config.get('class_name')!r}")
    layer_configs = config["config"]["layers"]
    unknown = {layer["class_name"] for layer in layer_configs} - _SUPPORTED_LAYERS
    if unknown:
        raise UnsupportedModelError(f"layers {sorted(unknown)}")
    if config["class_name"] == "Functional":
        _chain(layer_configs)
    seen: dict[str, int] = {}
    layers = []
    with weights_file:
        for layer in layer_configs:
            kind = layer["class_name"]
            key = _snake_case(kind) + (f"_{seen[kind]}" if seen.get(kind) else "")
            seen[kind] = seen.get(kind, 0) + 1
            weights: tuple[np.ndarray, ...] = ()
            if kind in _WEIGHTED_LAYERS:
                group = weights_file.get(f"layers/{key}/vars")
                if group is None:
                    raise UnsupportedModelError(f"no weights for {layer['config']['name']} under {key}")
                weights = tuple(np.asarray(group[str(index)], np.float32) for index in range(len(group)))
            layers.append(_Layer(kind, layer["config"], weights))
    return NumpyModel(layers)


def load_predictor(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """The quickest way to answer for a saved model: NumPy for a plain chain, else Keras.

    Args:
        path: a `.keras` file.

    Returns:
        A function from (n, 28, 28) digits (uint8, or float in [0, 1]) to (n, classes) float32 probabilities.

    Raises:
        ValueError: the file is missing or cannot be loaded either way.
    """
    try:
        return load_numpy_model(path).probabilities
    except UnsupportedModelError as error:
        logger.info("%s needs Keras (%s); loading TensorFlow", path, error)
        from core.inference import load_model, predict_probabilities  # imports TensorFlow

        model = load_model(path)
        return lambda images: predict_probabilities(model, images)
