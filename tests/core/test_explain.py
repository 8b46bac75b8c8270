"""Tests for core.explain: Grad-CAM against keras-io's recipe, heat on the stroke, saliency, overlays."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tensorflow as tf

import keras

from core.architectures import build_model
from core.explain import build_explainer, grad_cam, last_conv_layer_name, overlay, saliency, score_cam
from core.inference import load_model, to_model_input
from core.recipes import RECIPES
from core.runs import MODEL_FILE, SHIPPED_RUN_DIR

NAMES = sorted(RECIPES)
EXPECTED_LAST_CONV = {"seed": "conv2", "fast": "conv3_relu", "best": "conv3_relu"}
QUERIES = 50  # first test digits of the sample; enough for stable rates, still fast


@pytest.fixture(scope="module")
def shipped_model() -> keras.Model:
    return load_model(SHIPPED_RUN_DIR / MODEL_FILE)


@pytest.fixture(scope="module")
def explainer(shipped_model):
    return build_explainer(shipped_model)


@pytest.fixture(scope="module")
def digits(sample_data) -> tuple[np.ndarray, np.ndarray]:
    return sample_data.x_test[:QUERIES], sample_data.y_test[:QUERIES]  # (50, 28, 28) uint8, (50,) uint8


def keras_io_grad_cam(model: keras.Model, layer_name: str, image: np.ndarray, class_index: int) -> np.ndarray:
    """keras-io's make_gradcam_heatmap, step for step, on a copy of the model with the softmax removed."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.get_layer("probabilities").activation = None  # keras-io: "Remove last layer's softmax"
    grad_model = keras.Model(copy.input, [copy.get_layer(layer_name).output, copy.output])
    with tf.GradientTape() as tape:
        conv_output, predictions = grad_model(to_model_input(image[np.newaxis]), training=False)
        class_channel = predictions[:, class_index]
    grads = tape.gradient(class_channel, conv_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = conv_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    upsampled = cv2.resize(heatmap.numpy(), (28, 28), interpolation=cv2.INTER_LINEAR)
    # Bilinear upsampling by 4 lands no pixel on a layer cell's centre, so the peak drops below 1:
    # core.explain rescales after upsampling, and the reference does the same here.
    return upsampled / upsampled.max()


def ink_and_background_heat(heat: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    ink = image > 127  # the stroke: intensity above 0.5
    return float(heat[ink].mean()), float(heat[~ink].mean())


@pytest.mark.parametrize("name", NAMES)
def test_last_conv_layer_is_the_last_post_activation_convolution(name):
    model = build_model(name)
    assert last_conv_layer_name(model) == EXPECTED_LAST_CONV[name]


def test_last_conv_layer_refuses_a_model_without_convolutions():
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(keras.layers.Flatten()(inputs))
    with pytest.raises(ValueError, match="no convolution"):
        last_conv_layer_name(keras.Model(inputs, outputs))


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize("class_choice", ["predicted", "other"])
def test_grad_cam_matches_keras_io_recipe(shipped_model, explainer, digits, index, class_choice):
    images, labels = digits
    class_index = int(labels[index]) if class_choice == "predicted" else (int(labels[index]) + 3) % 10
    expected = keras_io_grad_cam(shipped_model, explainer.layer_name, images[index], class_index)
    np.testing.assert_allclose(grad_cam(explainer, images[index], class_index), expected, atol=1e-4)


def test_grad_cam_shape_dtype_range_and_default_class(explainer, digits):
    images, labels = digits
    heat = grad_cam(explainer, images[0])
    assert heat.shape == (28, 28)
    assert heat.dtype == np.float32
    assert heat.min() >= 0.0 and heat.max() == pytest.approx(1.0)
    # The shipped model reads this digit correctly, so "predicted" means its true label.
    np.testing.assert_array_equal(heat, grad_cam(explainer, images[0], int(labels[0])))


def test_grad_cam_gives_the_same_map_for_uint8_and_unit_float_images(explainer, digits):
    images, _ = digits
    np.testing.assert_allclose(
        grad_cam(explainer, images[1]), grad_cam(explainer, images[1].astype(np.float32) / 255.0), atol=1e-5
    )


def test_grad_cam_puts_more_heat_on_the_stroke_than_the_background(explainer, digits):
    images, _ = digits
    pairs = np.array([ink_and_background_heat(grad_cam(explainer, image), image) for image in images])
    ink_wins = pairs[:, 0] > pairs[:, 1]  # (50,)
    # Grad-CAM also marks telling gaps (the open top of a 4), so not every digit, but most, and
    # clearly on average (the shipped model measures 74% of digits and a 1.5x ratio).
    assert ink_wins.mean() >= 0.6
    assert pairs[:, 0].mean() > 1.2 * pairs[:, 1].mean()


def test_asking_about_another_class_changes_the_map(explainer, digits):
    images, labels = digits
    for image, label in zip(images[:5], labels[:5]):
        other = 7 if label != 7 else 1  # "why not a 7?"
        own, why_not = grad_cam(explainer, image), grad_cam(explainer, image, other)
        assert np.abs(own - why_not).mean() > 0.05


@pytest.mark.parametrize("past_the_last", [False, True])
def test_grad_cam_refuses_a_class_that_does_not_exist(shipped_model, explainer, digits, past_the_last):
    class_index = shipped_model.output_shape[-1] if past_the_last else -1  # its eleventh output, 10, is "not a digit"
    with pytest.raises(ValueError, match="class_index"):
        grad_cam(explainer, digits[0][0], class_index)


@pytest.mark.parametrize("shape", [(1, 28, 28), (28, 27), (784,)])
def test_grad_cam_and_saliency_refuse_other_image_shapes(shipped_model, explainer, shape):
    image = np.zeros(shape, np.uint8)
    with pytest.raises(ValueError, match="28, 28"):
        grad_cam(explainer, image)
    with pytest.raises(ValueError, match="28, 28"):
        saliency(shipped_model, image)


@pytest.mark.parametrize("name", ["seed", "fast"])
def test_grad_cam_works_for_untrained_architectures_too(name, digits):
    keras.utils.set_random_seed(0)
    heat = grad_cam(build_explainer(build_model(name)), digits[0][0])
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    assert 0.0 <= heat.min() and heat.max() <= 1.0


def test_seed_maps_are_padded_not_stretched_to_stay_over_the_digit(digits):
    keras.utils.set_random_seed(0)
    heat = grad_cam(build_explainer(build_model("seed")), digits[0][0])
    # conv2 is 24x24 ("valid" convolutions): its map covers image rows and columns 2..25 only.
    assert not heat[:2].any() and not heat[-2:].any() and not heat[:, :2].any() and not heat[:, -2:].any()


def test_score_cam_shape_dtype_and_range(explainer, digits):
    images, labels = digits
    heat = score_cam(explainer, images[0], int(labels[0]))
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    assert heat.min() >= 0.0 and heat.max() == pytest.approx(1.0)


def test_score_cam_puts_more_heat_on_the_stroke_than_the_background(explainer, digits):
    images, labels = digits
    pairs = np.array([ink_and_background_heat(score_cam(explainer, image, int(label)), image)
                      for image, label in zip(images[:20], labels[:20])])
    # The shipped model measures every one of 50 digits and a 2.3x ratio; Score-CAM marks no gaps, Grad-CAM does.
    assert (pairs[:, 0] > pairs[:, 1]).mean() >= 0.8
    assert pairs[:, 0].mean() > 1.5 * pairs[:, 1].mean()


def test_score_cam_depends_on_the_class(explainer, digits):
    images, labels = digits
    for image, label in zip(images[:5], labels[:5]):
        other = 7 if label != 7 else 1  # "why not a 7?"; the shipped model's maps differ by 0.10-0.50 on these
        assert np.abs(score_cam(explainer, image, int(label)) - score_cam(explainer, image, other)).mean() > 0.05


def test_score_cam_refuses_a_class_that_does_not_exist(shipped_model, explainer, digits):
    with pytest.raises(ValueError, match="class_index"):
        score_cam(explainer, digits[0][0], shipped_model.output_shape[-1])


def test_saliency_shape_dtype_range(shipped_model, digits):
    heat = saliency(shipped_model, digits[0][0])
    assert heat.shape == (28, 28)
    assert heat.dtype == np.float32
    assert heat.min() >= 0.0 and heat.max() == pytest.approx(1.0)


def test_saliency_is_concentrated_near_the_ink(shipped_model, digits):
    images, _ = digits
    pairs = np.array([ink_and_background_heat(saliency(shipped_model, image), image) for image in images[:20]])
    assert (pairs[:, 0] > pairs[:, 1]).mean() >= 0.8  # the shipped model measures 98% over 50 digits
    assert pairs[:, 0].mean() > 1.2 * pairs[:, 1].mean()


def test_saliency_depends_on_the_class(shipped_model, digits):
    image, label = digits[0][0], int(digits[1][0])
    own, other = saliency(shipped_model, image), saliency(shipped_model, image, (label + 1) % 10)
    assert np.abs(own - other).mean() > 0.02


def test_overlay_is_an_enlarged_rgb_image(digits):
    image = digits[0][0]
    heat = np.zeros((28, 28), np.float32)
    heat[10:14, 10:14] = 1.0
    picture = overlay(image, heat)
    assert picture.shape == (224, 224, 3)
    assert picture.dtype == np.uint8
    assert overlay(image.astype(np.float32) / 255.0, heat, scale=2).shape == (56, 56, 3)


def test_overlay_shows_hot_areas_red_and_cold_areas_blue():
    blank = np.zeros((28, 28), np.uint8)
    heat = np.zeros((28, 28), np.float32)
    heat[:, 14:] = 1.0
    picture = overlay(blank, heat, heat_weight=1.0).astype(int)
    red, green, blue = picture[100, 200]  # hot half, in RGB order
    assert red > 100 and blue < 50
    red, green, blue = picture[100, 20]  # cold half
    assert blue > 100 and red < 50


def test_overlay_keeps_the_digit_pixels_square():
    image = np.zeros((28, 28), np.uint8)
    image[5, 5] = 255
    picture = overlay(image, np.zeros((28, 28), np.float32), scale=8, heat_weight=0.0)
    np.testing.assert_array_equal(picture[40:48, 40:48], 255)
    np.testing.assert_array_equal(picture[39, 40:48], 0)


@pytest.mark.parametrize(
    "kwargs",
    [{"image": np.zeros((28, 27))}, {"heatmap": np.zeros((14, 14))}, {"scale": 0}, {"heat_weight": 1.5}],
)
def test_overlay_refuses_bad_arguments(kwargs):
    arguments = {"image": np.zeros((28, 28), np.uint8), "heatmap": np.zeros((28, 28), np.float32)} | kwargs
    with pytest.raises(ValueError):
        overlay(**arguments)
