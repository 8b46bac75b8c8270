"""What the network sees: the activation maps of every convolution and pooling layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import keras
from keras import layers

from core.inference import to_model_input


@dataclass(frozen=True)
class FeatureMap:
    """One layer's output for one image."""

    layer_name: str
    activations: np.ndarray  # (height, width, channels) float32

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.activations.shape)  # type: ignore[return-value]


def _shows_features(layer: keras.layers.Layer) -> bool:
    """True for layers whose output is a post-activation spatial map worth looking at.

    A Conv2D followed by batch norm has a linear activation: its ReLU layer is shown instead.
    """
    if len(layer.output.shape) != 4:
        return False
    if isinstance(layer, layers.Conv2D):
        return layer.get_config().get("activation") != "linear"
    return isinstance(layer, (layers.MaxPooling2D, layers.Activation))


def feature_layer_names(model: keras.Model) -> list[str]:
    """Names of the layers `feature_maps` returns, input to output."""
    return [layer.name for layer in model.layers if _shows_features(layer)]


@dataclass(frozen=True)
class FeatureExtractor:
    """A model sharing a classifier's weights that outputs every feature layer at once."""

    model: keras.Model
    layer_names: tuple[str, ...]


def build_feature_extractor(model: keras.Model) -> FeatureExtractor:
    """Builds the extractor once per model; construction costs far more than a call."""
    names = tuple(feature_layer_names(model))
    outputs = [model.get_layer(name).output for name in names]
    return FeatureExtractor(keras.Model(model.input, outputs, name=f"{model.name}_features"), names)


def feature_maps(extractor: FeatureExtractor, image: np.ndarray) -> list[FeatureMap]:
    """Activations of every feature layer for one digit.

    Args:
        extractor: from `build_feature_extractor`.
        image: (28, 28) uint8, or float in [0, 1].

    Returns:
        One FeatureMap per layer, input to output.
    """
    batch = to_model_input(image[np.newaxis])  # (1, 28, 28, 1)
    outputs = extractor.model(batch, training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [
        FeatureMap(layer_name=name, activations=keras.ops.convert_to_numpy(output)[0])  # (h, w, channels)
        for name, output in zip(extractor.layer_names, outputs)
    ]


def tile_channels(activations: np.ndarray, columns: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Lays a layer's channels out as one mosaic, each channel scaled to [0, 1] on its own.

    Args:
        activations: (height, width, channels).
        columns: channels per mosaic row.

    Returns:
        mosaic: (rows * (height + 1), columns * (width + 1)) float32, NaN in the one-pixel gutters.
        channel_of_pixel: same shape, int32 channel index under each pixel (-1 in gutters),
            so a hover can name the channel.
    """
    height, width, channels = activations.shape
    rows = -(-channels // columns)  # ceiling division
    mosaic = np.full((rows * (height + 1), columns * (width + 1)), np.nan, dtype=np.float32)
    channel_of_pixel = np.full(mosaic.shape, -1, dtype=np.int32)
    low = activations.min(axis=(0, 1))  # (channels,)
    span = activations.max(axis=(0, 1)) - low
    scaled = (activations - low) / np.where(span > 0, span, 1.0)  # (h, w, c) in [0, 1]
    for channel in range(channels):
        top, left = (channel // columns) * (height + 1), (channel % columns) * (width + 1)
        mosaic[top : top + height, left : left + width] = scaled[:, :, channel]
        channel_of_pixel[top : top + height, left : left + width] = channel
    return mosaic, channel_of_pixel
