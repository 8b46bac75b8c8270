"""Why the network chose a digit: Grad-CAM, Score-CAM and vanilla-gradient saliency maps, and a readable overlay.

Grad-CAM follows keras-io's `examples/vision/grad_cam.py`, but scores classes by their logit (the score before
softmax) without touching the shared model's activation. Score-CAM (Wang et al., 2020) stands in where
Grad-CAM's map is blank (see `score_cam`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import tensorflow as tf

import keras
from keras import layers

from core.architectures import CLASSIFIER_LAYER
from core.inference import to_model_input
from core.inspection import feature_layer_names
from core.mnist_format import IMAGE_SIDE, as_stored_digits

OVERLAY_SCALE = 8
OVERLAY_HEAT_WEIGHT = 0.5


def last_conv_layer_name(model: keras.Model) -> str:
    """The last post-activation convolution map: what Grad-CAM weighs.

    Pooling layers are skipped: they only subsample the map before them, and a finer map gives a
    sharper heatmap. For `seed` this is "conv2"; for `fast` and `best`, "conv3_relu".

    Raises:
        ValueError: the model has no convolution layer with a non-linear output.
    """
    candidates = [
        name
        for name in feature_layer_names(model)
        if not isinstance(model.get_layer(name), layers.MaxPooling2D)
    ]
    if not candidates:
        raise ValueError(f"Model {model.name!r} has no convolution layer to explain.")
    return candidates[-1]


def _classifier(model: keras.Model) -> layers.Dense:
    """The final Dense softmax layer, whose kernel and bias give the logits.

    Raises:
        ValueError: the model has no Dense softmax layer named "probabilities".
    """
    try:
        classifier = model.get_layer(CLASSIFIER_LAYER)
    except ValueError:
        raise ValueError(f"Model {model.name!r} has no {CLASSIFIER_LAYER!r} layer.") from None
    if not isinstance(classifier, layers.Dense) or classifier.get_config().get("activation") != "softmax":
        raise ValueError(f"Layer {CLASSIFIER_LAYER!r} of {model.name!r} is not a Dense softmax layer.")
    return classifier


def _logits(classifier: layers.Dense, classifier_input: tf.Tensor) -> tf.Tensor:
    """Class scores before softmax, from the same weights the model uses (nothing is copied)."""
    return tf.matmul(classifier_input, classifier.kernel) + classifier.bias  # (1, 10)


def _check_class_index(class_index: int, num_classes: int) -> int:
    if not 0 <= int(class_index) < num_classes:
        raise ValueError(f"class_index must be in [0, {num_classes}), got {class_index}.")
    return int(class_index)


def _single_image_batch(image: np.ndarray) -> tf.Tensor:
    """(28, 28) uint8 or float in [0, 1] -> (1, 28, 28, 1) float32 tensor.

    Raises:
        ValueError: the image is not 28 by 28.
    """
    if image.shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(f"Expected one image of shape ({IMAGE_SIDE}, {IMAGE_SIDE}), got {image.shape}.")
    return tf.convert_to_tensor(to_model_input(image[np.newaxis]))  # (1, 28, 28, 1)


def _scaled_to_unit(heat: np.ndarray) -> np.ndarray:
    """Divides by the maximum so the hottest pixel is 1; an all-zero map stays zero, not NaN."""
    peak = float(heat.max())
    return (heat / peak if peak > 0 else np.zeros_like(heat)).astype(np.float32)


@dataclass(frozen=True)
class Explainer:
    """A classifier's Grad-CAM sub-model, built once per model.

    Attributes:
        model: maps an image batch to [the explained layer's output, the classifier layer's input].
        layer_name: the convolution layer the heatmap is computed on.
        classifier: the original model's final Dense layer (shared, not copied), for the logits.
    """

    model: keras.Model
    layer_name: str
    classifier: layers.Dense


def build_explainer(model: keras.Model) -> Explainer:
    """Builds the Grad-CAM sub-model; it shares the classifier's weights.

    Raises:
        ValueError: the model has no convolution layer or no Dense softmax "probabilities" layer.
    """
    layer_name = last_conv_layer_name(model)
    classifier = _classifier(model)
    grad_model = keras.Model(
        model.input, [model.get_layer(layer_name).output, classifier.input], name=f"{model.name}_grad_cam"
    )
    return Explainer(model=grad_model, layer_name=layer_name, classifier=classifier)


def _to_image_size(heat: np.ndarray) -> np.ndarray:
    """Maps a layer-resolution heatmap onto the 28x28 image grid.

    A map whose side divides 28 came from "same" convolutions and pooling, and covers the whole
    image: it is stretched. Otherwise it came from "valid" convolutions (seed's 24x24 conv2), which
    lose a border: its pixel (i, j) sits over image pixel (i + 2, j + 2), so it is padded, not
    stretched, to stay aligned with the digit.
    """
    side = heat.shape[0]
    border = IMAGE_SIDE - side
    if IMAGE_SIDE % side == 0 or border % 2 or border < 0:
        return cv2.resize(heat, (IMAGE_SIDE, IMAGE_SIDE), interpolation=cv2.INTER_LINEAR)
    return np.pad(heat, border // 2)


def grad_cam(explainer: Explainer, image: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Where in the image the evidence for a class lies, by Grad-CAM.

    The class score is the logit, not the probability: a confident softmax output is flat
    (its gradient p(1 - p) vanishes as p nears 1) and mixes in every other class, while the logit's
    gradient says what raises this class alone, as in the Grad-CAM paper and keras-io example.

    Args:
        explainer: from `build_explainer`.
        image: (28, 28) uint8 in [0, 255], or float in [0, 1].
        class_index: the digit to explain ("why not a 7?"); None explains the predicted digit.

    Returns:
        (28, 28) float32 in [0, 1], 1 at the strongest evidence.

    Raises:
        ValueError: the image is not 28x28, or class_index is not a class.
    """
    batch = _single_image_batch(image)  # (1, 28, 28, 1)
    with tf.GradientTape() as tape:
        conv_output, classifier_input = explainer.model(batch, training=False)  # (1, h, w, c), (1, d)
        logits = _logits(explainer.classifier, classifier_input)  # (1, 10)
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        class_index = _check_class_index(class_index, logits.shape[-1])
        score = logits[:, class_index]  # (1,)
    gradients = tape.gradient(score, conv_output)  # (1, h, w, c)
    # Each channel counts by how much the class score grows with it, averaged over the map.
    channel_weights = tf.reduce_mean(gradients, axis=(0, 1, 2))  # (c,)
    heat = tf.nn.relu(tf.reduce_sum(conv_output[0] * channel_weights, axis=-1))  # (h, w)
    heat = _to_image_size(keras.ops.convert_to_numpy(heat).astype(np.float32))  # (28, 28)
    # Bilinear upsampling of a non-negative map stays non-negative; clip only float dust.
    return np.clip(_scaled_to_unit(heat), 0.0, 1.0)


def score_cam(explainer: Explainer, image: np.ndarray, class_index: int) -> np.ndarray:
    """Where in the image the evidence for a class lies, by Score-CAM: no gradients, only answers.

    Each channel of the explained layer, stretched over the image and scaled to [0, 1], masks the digit; the
    channel counts by how much the masked digit raises the class's probability above a blank image's. Grad-CAM
    weighs channels by their average gradient instead, and on today's `best` recipe those weights make the map
    blank for most digits (the layers after the convolution set the score; README, Real handwriting): the
    answers of masked digits still show which parts of the digit speak for the class.

    Args:
        explainer: from `build_explainer`.
        image: (28, 28) uint8 in [0, 255], or float in [0, 1].
        class_index: the digit to explain.

    Returns:
        (28, 28) float32 in [0, 1], 1 at the strongest evidence; all zero if no channel raises the class.

    Raises:
        ValueError: the image is not 28x28, or class_index is not a class.
    """
    batch = _single_image_batch(image)  # (1, 28, 28, 1)
    conv_output, _ = explainer.model(batch, training=False)
    activations = keras.ops.convert_to_numpy(conv_output)[0].astype(np.float32)  # (h, w, c)
    maps = np.stack([_to_image_size(activations[..., channel]) for channel in range(activations.shape[-1])])
    low, high = maps.min(axis=(1, 2), keepdims=True), maps.max(axis=(1, 2), keepdims=True)  # (c, 1, 1)
    masks = np.where(high > low, (maps - low) / np.maximum(high - low, 1e-12), 0.0)  # (c, 28, 28)
    masked = keras.ops.convert_to_numpy(batch)[0, :, :, 0] * masks  # (c, 28, 28)
    inputs = np.concatenate([np.zeros((1, IMAGE_SIDE, IMAGE_SIDE), np.float32), masked.astype(np.float32)])
    _, classifier_input = explainer.model(inputs[..., np.newaxis], training=False)
    probabilities = keras.ops.convert_to_numpy(tf.nn.softmax(_logits(explainer.classifier, classifier_input)))
    class_index = _check_class_index(class_index, probabilities.shape[-1])
    raised = np.maximum(probabilities[1:, class_index] - probabilities[0, class_index], 0.0)  # (c,) over blank
    heat = np.maximum((activations * raised).sum(axis=-1), 0.0)  # (h, w)
    return np.clip(_scaled_to_unit(_to_image_size(heat.astype(np.float32))), 0.0, 1.0)


def saliency(model: keras.Model, image: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Which pixels the class score is most sensitive to: |d logit / d pixel|, lightly blurred.

    Builds a small sub-model per call (about a millisecond) so callers need only the model.

    Args:
        model: a classifier ending in a Dense softmax layer named "probabilities".
        image: (28, 28) uint8 in [0, 255], or float in [0, 1].
        class_index: the digit to explain; None explains the predicted digit.

    Returns:
        (28, 28) float32 in [0, 1], 1 at the most sensitive pixel.

    Raises:
        ValueError: the image is not 28x28, class_index is not a class, or the model has no
            "probabilities" layer.
    """
    classifier = _classifier(model)
    feature_model = keras.Model(model.input, classifier.input)
    batch = _single_image_batch(image)  # (1, 28, 28, 1)
    with tf.GradientTape() as tape:
        tape.watch(batch)
        logits = _logits(classifier, feature_model(batch, training=False))  # (1, 10)
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        class_index = _check_class_index(class_index, logits.shape[-1])
        score = logits[:, class_index]  # (1,)
    gradients = keras.ops.convert_to_numpy(tape.gradient(score, batch))[0, :, :, 0]  # (28, 28)
    # Raw gradients speckle from pixel to pixel; a 3x3 blur shows the region, not the noise.
    heat = cv2.GaussianBlur(np.abs(gradients).astype(np.float32), (3, 3), 0)  # (28, 28)
    return _scaled_to_unit(heat)


def overlay(
    image: np.ndarray,
    heatmap: np.ndarray,
    scale: int = OVERLAY_SCALE,
    heat_weight: float = OVERLAY_HEAT_WEIGHT,
) -> np.ndarray:
    """The digit in grey with a heatmap blended over it in the JET colour map, enlarged for a page.

    Args:
        image: (28, 28) uint8 in [0, 255], or float in [0, 1].
        heatmap: (28, 28) float in [0, 1].
        scale: enlargement factor; pixels stay square for the digit, heat is interpolated smoothly.
        heat_weight: share of the heatmap in the blend, in [0, 1].

    Returns:
        (28 * scale, 28 * scale, 3) uint8 RGB.

    Raises:
        ValueError: shapes are not (28, 28), scale < 1, or heat_weight outside [0, 1].
    """
    if image.shape != (IMAGE_SIDE, IMAGE_SIDE) or heatmap.shape != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(
            f"Expected image and heatmap of shape ({IMAGE_SIDE}, {IMAGE_SIDE}), got {image.shape} and {heatmap.shape}."
        )
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}.")
    if not 0.0 <= heat_weight <= 1.0:
        raise ValueError(f"heat_weight must be in [0, 1], got {heat_weight}.")
    side = IMAGE_SIDE * scale
    digit = image if image.dtype == np.uint8 else as_stored_digits(image)
    digit = cv2.resize(digit, (side, side), interpolation=cv2.INTER_NEAREST)  # (side, side) uint8
    digit_rgb = np.repeat(digit[..., np.newaxis], 3, axis=-1)  # (side, side, 3) uint8
    heat = cv2.resize(np.asarray(heatmap, np.float32), (side, side), interpolation=cv2.INTER_LINEAR)
    heat_uint8 = np.clip(heat * 255.0 + 0.5, 0, 255).astype(np.uint8)  # (side, side)
    # OpenCV colour maps come out BGR; pages and PIL expect RGB.
    heat_rgb = cv2.cvtColor(cv2.applyColorMap(heat_uint8, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return cv2.addWeighted(heat_rgb, heat_weight, digit_rgb, 1.0 - heat_weight, 0.0)  # (side, side, 3) uint8
