"""Tests for core.training: real short trainings on the bundled sample, stop, divergence, splits, schedules.

The `slow` tests train for real (a few seconds each on two CPU cores); the rest build no model.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import keras

from core.augmentation import distorted_copies
from core.calibration import fit_temperature
from core.config import TrainingConfig
from core.data import MnistData
from core.drawn_marks import SHAPES, SHAPES_AND_GRID_STROKES, drawn_mark_images
from core.inference import graph_predictor, predict_probabilities, to_model_input
from core.progress import BatchProgress, EpochMetrics
from core.runs import RunStore
from core.template_digits import TEMPLATE_SHARE
from core.training import (
    DIVERGED_LOSS,
    FLOOR_DISTORTED_COPIES,
    TrainingResult,
    ProgressCallback,
    _dataset,
    build_optimizer,
    split_training_data,
    train,
    validation_scores,
)
from core.uji import UjiEpochs, training_digits
from core.uncertainty import fit_not_sure_floor, is_not_a_digit

# Batch 64, not fast's recipe of 256: batch norm's moving statistics need a few dozen steps to settle,
# and 2,000 images at 256 give only 16 steps (test accuracy then stays near chance).
SHORT_RUN = dict(epochs=2, train_size=2000, batch_size=64, template_digits=False, uji_digits=False)  # MNIST alone: counts stay plain


def short_config(**overrides) -> TrainingConfig:
    return TrainingConfig.for_architecture("fast", **{**SHORT_RUN, **overrides})


class Recorder:
    """Collects what training reports through its callables."""

    def __init__(self) -> None:
        self.batches: list[BatchProgress] = []
        self.epochs: list[EpochMetrics] = []

    def on_batch(self, progress: BatchProgress) -> None:
        self.batches.append(progress)

    def on_epoch(self, metrics: EpochMetrics) -> None:
        self.epochs.append(metrics)


@pytest.fixture(scope="module")
def short_training(sample_data) -> tuple[TrainingResult, Recorder]:
    """Two epochs of `fast` on 2,000 sample images, with every progress report recorded."""
    recorder = Recorder()
    result = train(short_config(), sample_data, on_batch=recorder.on_batch, on_epoch=recorder.on_epoch)
    return result, recorder


# ----------------------------------------------------------------------------- a real training


@pytest.mark.slow
def test_short_training_learns_far_above_chance(short_training, sample_data):
    result, _ = short_training
    assert result.status == "completed"
    assert result.test_accuracy > 0.8
    assert result.history[-1].val_accuracy > 0.8
    assert result.history[-1].loss < result.history[0].loss
    # test_accuracy is what the stored probabilities say, on the whole test set.
    assert result.test_probabilities.shape == (len(sample_data.x_test), 10)
    assert result.test_probabilities.dtype == np.float32
    np.testing.assert_allclose(result.test_probabilities.sum(axis=1), 1.0, atol=1e-4)
    predicted = result.test_probabilities.argmax(axis=1)  # (n_test,)
    assert result.test_accuracy == pytest.approx(np.mean(predicted == sample_data.y_test))
    assert result.config == short_config()
    assert result.data_source == "sample"
    assert result.model.name == "fast"
    # Trained with fused batch norm, kept with Keras's own: saved models load wherever they did before.
    assert {type(layer) for layer in result.model.layers if "_bn" in layer.name} == {keras.layers.BatchNormalization}
    assert result.duration_s > 0


@pytest.mark.slow
def test_floor_and_temperature_are_fitted_on_the_validation_split(short_training, sample_data):
    result, _ = short_training
    split = split_training_data(sample_data, result.config)
    validation_probabilities = predict_probabilities(result.model, split.x_validation)
    assert result.temperature == pytest.approx(fit_temperature(validation_probabilities, split.y_validation))
    distorted = distorted_copies(split.x_validation, result.config.seed, FLOOR_DISTORTED_COPIES)
    assert result.not_sure_floor == pytest.approx(fit_not_sure_floor(predict_probabilities(result.model, distorted)))
    # Distorted digits are harder, so the floor sits lower than on the clean validation digits.
    assert result.not_sure_floor < fit_not_sure_floor(validation_probabilities)
    assert result.temperature != pytest.approx(1.0)  # a short run is never calibrated by chance


@pytest.mark.slow
def test_short_training_reports_every_epoch(short_training):
    result, recorder = short_training
    assert len(result.history) == 2
    assert list(recorder.epochs) == list(result.history)
    assert [metrics.epoch for metrics in result.history] == [1, 2]
    assert all(metrics.complete for metrics in result.history)
    for metrics in result.history:
        for value in (metrics.loss, metrics.accuracy, metrics.val_loss, metrics.val_accuracy):
            assert math.isfinite(value)
        assert 0 <= metrics.accuracy <= 1 and 0 <= metrics.val_accuracy <= 1
    assert 0 < result.history[0].elapsed_s < result.history[1].elapsed_s <= result.duration_s + 1e-6


@pytest.mark.slow
def test_each_epoch_records_the_validation_accuracy_of_every_digit(short_training, sample_data):
    result, _ = short_training
    labels = split_training_data(sample_data, result.config).y_validation
    counts = np.bincount(labels, minlength=10)  # (10,)
    assert counts.min() > 0  # every digit is in the sample's validation split
    for metrics in result.history:
        per_class = np.array(metrics.val_per_class_accuracy)  # (10,)
        assert per_class.shape == (10,) and np.all((per_class >= 0) & (per_class <= 1))
        # Ten outputs: the digits' shares, weighted by how often each occurs, make the overall accuracy.
        assert np.sum(per_class * counts) / counts.sum() == pytest.approx(metrics.val_accuracy)
    assert result.history[0].val_per_class_accuracy != result.history[1].val_per_class_accuracy


@pytest.mark.slow
def test_validation_scores_are_what_keras_evaluate_says(short_training, sample_data):
    result, _ = short_training
    split = split_training_data(sample_data, result.config)
    loss, accuracy = result.model.evaluate(
        to_model_input(split.x_validation), keras.utils.to_categorical(split.y_validation, 10), verbose=0
    )
    scores = validation_scores(graph_predictor(result.model), split.x_validation, split.y_validation, result.config.label_smoothing)
    assert result.config.label_smoothing > 0  # fast's recipe: the smoothed loss is the one compared
    # Keras scores the loss from the softmax's logits, the scores from probabilities clipped at 1e-7:
    # a digit the model gives ~1e-8 for its true class makes the two differ by a few parts in 10,000.
    assert scores["val_loss"] == pytest.approx(loss, rel=1e-3)
    assert scores["val_accuracy"] == pytest.approx(accuracy)


def test_validation_scores_of_an_eleven_output_model_count_digits_apart():
    # Two 0s and two 1s. The second 0 is answered "not a digit" though 0 is its likeliest digit;
    # the second 1 is answered 0.
    probabilities = np.array(
        [
            [0.7, 0.1] + [0.02] * 8 + [0.04],
            [0.3, 0.1] + [0.0] * 8 + [0.6],
            [0.2, 0.8] + [0.0] * 8 + [0.0],
            [0.5, 0.4] + [0.0] * 8 + [0.1],
        ],
        np.float32,
    )  # (4, 11)
    labels = np.array([0, 0, 1, 1], np.uint8)
    scores = validation_scores(lambda images: probabilities[: len(images)], np.zeros((4, 28, 28), np.uint8), labels)
    assert scores["val_accuracy"] == 0.5  # "not a digit" is a wrong answer overall...
    per_class = scores["val_per_class_accuracy"]
    assert per_class[:2] == [1.0, 0.5]  # ...but per digit, the likeliest digit is the answer
    assert all(math.isnan(share) for share in per_class[2:])  # digits absent from the validation split
    assert scores["val_loss"] == pytest.approx(-np.mean(np.log([0.7, 0.3, 0.8, 0.4])), rel=1e-5)


@pytest.mark.slow
def test_short_training_reports_every_batch(short_training):
    _, recorder = short_training
    train_count = 2000 - 200  # 10% of the 2,000 images are held out for validation
    batches_per_epoch = math.ceil(train_count / 64)
    assert len(recorder.batches) == 2 * batches_per_epoch
    expected_positions = [(epoch, batch) for epoch in (1, 2) for batch in range(1, batches_per_epoch + 1)]
    assert [(progress.epoch, progress.batch) for progress in recorder.batches] == expected_positions
    assert all(progress.batches_per_epoch == batches_per_epoch for progress in recorder.batches)
    assert all(math.isfinite(progress.loss) and 0 <= progress.accuracy <= 1 for progress in recorder.batches)
    assert all(progress.images_per_second > 0 for progress in recorder.batches)
    elapsed = [progress.elapsed_s for progress in recorder.batches]
    assert elapsed == sorted(elapsed)
    # The last batch's running loss is the epoch's loss.
    assert recorder.batches[-1].loss == pytest.approx(recorder.epochs[-1].loss, rel=1e-5)


@pytest.mark.slow
def test_same_seed_and_config_give_the_same_run(sample_data):
    def losses(seed: int) -> tuple[list[float], np.ndarray]:
        result = train(short_config(epochs=1, train_size=500, seed=seed), sample_data)
        values = [value for m in result.history for value in (m.loss, m.accuracy, m.val_loss, m.val_accuracy)]
        return values, result.test_probabilities

    first, first_probabilities = losses(seed=0)
    again, again_probabilities = losses(seed=0)
    other, _ = losses(seed=1)
    assert again == pytest.approx(first, rel=1e-5)
    np.testing.assert_allclose(again_probabilities, first_probabilities, atol=1e-5)
    assert other != pytest.approx(first, rel=1e-5)


@pytest.mark.slow
def test_training_with_augmentation_runs(sample_data):
    result = train(short_config(epochs=1, train_size=300, augment=True), sample_data)
    assert result.status == "completed"
    assert len(result.history) == 1 and result.history[0].complete
    assert math.isfinite(result.history[0].loss)


def test_the_loss_smooths_the_targets_as_configured(sample_data):
    result = train(short_config(epochs=1, train_size=300, label_smoothing=0.3), sample_data)
    assert result.model.loss.label_smoothing == pytest.approx(0.3)
    assert train(short_config(epochs=1, train_size=300, label_smoothing=0.0), sample_data).model.loss.label_smoothing == 0


def test_bfloat16_training_learns_and_keeps_a_float32_model(sample_data):
    result = train(short_config(compute_dtype="bfloat16"), sample_data)
    assert {layer.dtype_policy.name for layer in result.model.layers} == {"float32"}
    assert result.test_probabilities.dtype == np.float32
    assert result.test_accuracy > 0.5  # chance is 0.1; two float32 epochs of the same run reach about 0.9


@pytest.mark.slow
def test_template_digits_are_trained_on_and_counted_by_the_progress_bar(sample_data):
    # 600 images: 540 to train on (9 batches of 64) plus 11% template digits (59): 10 batches, all counted.
    progress: list[BatchProgress] = []
    result = train(short_config(epochs=1, train_size=600, template_digits=True), sample_data, on_batch=progress.append)
    assert result.status == "completed"
    assert progress[-1].batches_per_epoch == math.ceil((540 + round(540 * TEMPLATE_SHARE)) / 64) == 10
    assert progress[-1].batch == progress[-1].batches_per_epoch  # the bar ends full, never past its end


def test_uji_digits_join_the_training_batches_with_their_weight_and_are_drawn_anew_each_epoch(sample_data):
    images, labels = sample_data.x_train[:100], sample_data.y_train[:100]
    uji = UjiEpochs(mnist_count=len(images), seed=0, digits=training_digits()[:30])
    dataset = _dataset(images, labels, short_config(batch_size=32), uji=uji)

    def one_epoch() -> tuple[np.ndarray, np.ndarray]:
        batches = list(dataset.as_numpy_iterator())  # (x, one-hot y, weight) each
        return np.concatenate([x for x, _, _ in batches]), np.concatenate([w for _, _, w in batches])

    first_x, first_weights = one_epoch()
    second_x, second_weights = one_epoch()
    assert len(first_x) == 130 and dataset.cardinality() == 5  # 130 samples in batches of 32
    assert np.sum(first_weights == 1.0) == 100
    np.testing.assert_allclose(first_weights[first_weights != 1.0], uji.weight)
    assert np.sum(first_weights != 1.0) == 30
    # The MNIST digits come back unchanged every epoch; the UJI digits are new drawings.
    weighted_first = {x.tobytes() for x, w in zip(first_x, first_weights) if w != 1.0}
    weighted_second = {x.tobytes() for x, w in zip(second_x, second_weights) if w != 1.0}
    assert not weighted_first & weighted_second
    assert {x.tobytes() for x, w in zip(first_x, first_weights) if w == 1.0} == \
        {x.tobytes() for x, w in zip(second_x, second_weights) if w == 1.0}


def test_the_training_pipeline_runs_without_the_autotuner_whose_sleep_stalled_epoch_ends(sample_data):
    dataset = _dataset(sample_data.x_train[:64], sample_data.y_train[:64], short_config(batch_size=32))
    assert dataset.options().autotune.enabled is False


def test_uji_drawings_come_round_again_after_as_many_passes_as_the_epochs_asked_for(sample_data):
    images, labels = sample_data.x_train[:64], sample_data.y_train[:64]
    uji = UjiEpochs(mnist_count=len(images), seed=0, digits=training_digits()[:16])
    dataset = _dataset(images, labels, short_config(batch_size=32, epochs=3), uji=uji)

    def uji_drawings_of_one_pass() -> set[bytes]:
        return {x.tobytes() for batch_x, _, weights in dataset.as_numpy_iterator()
                for x, weight in zip(batch_x, weights) if weight != 1.0}

    passes = [uji_drawings_of_one_pass() for _ in range(4)]  # drawings made for 3 epochs
    assert all(len(drawings) == 16 for drawings in passes)
    assert not passes[0] & passes[1] and not passes[1] & passes[2] and not passes[0] & passes[2]
    assert passes[3] == passes[0]


@pytest.mark.slow
def test_uji_digits_are_trained_on_and_counted_by_the_progress_bar(sample_data):
    # 600 images: 540 to train on plus UJI writers 1-40's 800 digits: 21 batches of 64, all counted.
    progress: list[BatchProgress] = []
    result = train(short_config(epochs=1, train_size=600, uji_digits=True), sample_data, on_batch=progress.append)
    assert result.status == "completed"
    assert progress[-1].batches_per_epoch == math.ceil((540 + 800) / 64) == 21
    assert progress[-1].batch == progress[-1].batches_per_epoch  # the bar ends full, never past its end


@pytest.mark.slow
@pytest.mark.parametrize(
    "method, outputs", [("eleventh class", 11), ("eleventh class after training", 11), ("outlier exposure", 10)]
)
def test_training_for_not_a_digit_learns_digits_and_marks(sample_data, method, outputs):
    # 1,000 images: 900 digits to train on and 90 drawn marks.
    result = train(short_config(epochs=2, train_size=1000, non_digits=method), sample_data)
    assert result.model.output_shape == (None, outputs)
    assert result.test_probabilities.shape == (len(sample_data.x_test), outputs)
    assert result.test_accuracy > 0.5
    assert 0 < result.not_sure_floor < 1
    kinds = SHAPES_AND_GRID_STROKES if method == "eleventh class after training" else SHAPES  # what each learns from
    marks = predict_probabilities(result.model, drawn_mark_images(60, seed=123, kinds=kinds))  # a seed never trained on
    digit_confidence = result.test_probabilities[:, :10].max(axis=1).mean()
    assert marks[:, :10].max(axis=1).mean() < digit_confidence - 0.1  # either way, no digit is sure for a mark
    if method == "eleventh class":
        assert is_not_a_digit(marks).mean() > 0.5
    if outputs == 11:  # fitted afterwards on 900 digits, its bias is set by the most mark-like of 900 validation digits
        assert is_not_a_digit(marks).mean() > is_not_a_digit(result.test_probabilities).mean() + 0.05


# ----------------------------------------------------------------------------- stop


@pytest.mark.slow
def test_should_stop_ends_training_after_that_batch(sample_data, runs_dir):
    # 1,000 images: 900 to train on, 15 batches of 64 per epoch; stop on the 2nd batch of epoch 2.
    config = short_config(epochs=3, train_size=1000)
    stop_after = 15 + 2
    polls = 0

    def should_stop() -> bool:
        nonlocal polls
        polls += 1
        return polls >= stop_after

    recorder = Recorder()
    result = train(config, sample_data, on_batch=recorder.on_batch, on_epoch=recorder.on_epoch, should_stop=should_stop)

    assert result.status == "stopped"
    assert polls == stop_after  # not polled again: no batch ran after the stop
    assert len(recorder.batches) == stop_after
    assert (recorder.batches[-1].epoch, recorder.batches[-1].batch) == (2, 2)
    assert [metrics.complete for metrics in result.history] == [True, False]
    assert list(recorder.epochs) == list(result.history)
    assert result.test_probabilities.shape == (len(sample_data.x_test), 10)

    # A stopped run is still a run: it saves and reads back as stopped, with one complete epoch.
    store = RunStore(runs_dir, shipped_dir=None)
    record = store.save(result)
    assert record.status == "stopped"
    assert record.epochs_completed == 1
    assert [metrics.complete for metrics in store.history(record.run_id)] == [True, False]


@pytest.mark.slow
def test_should_stop_on_the_first_batch(sample_data):
    result = train(short_config(epochs=2, train_size=500), sample_data, should_stop=lambda: True)
    assert result.status == "stopped"
    assert len(result.history) == 1
    assert result.history[0].complete is False


# ----------------------------------------------------------------------------- divergence


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["seed", "fast"])
def test_a_learning_rate_far_too_high_is_reported_as_diverged(sample_data, architecture):
    # Seed's loss overflows to inf/NaN; fast's batch norm keeps it finite but astronomically high.
    config = TrainingConfig.for_architecture(
        architecture,
        epochs=3,
        train_size=1000,
        batch_size=64,
        optimizer="sgd",
        learning_rate=10.0,
        schedule="constant",
    )
    recorder = Recorder()
    result = train(config, sample_data, on_batch=recorder.on_batch, on_epoch=recorder.on_epoch)
    assert result.status == "diverged"
    last_loss = recorder.batches[-1].loss
    assert not math.isfinite(last_loss) or last_loss > DIVERGED_LOSS
    # Training ended at the batch that blew up, not after all 3 epochs of 15 batches.
    assert len(recorder.batches) < 15
    assert len(result.history) == 1 and result.history[0].complete is False
    assert result.test_probabilities.shape == (len(sample_data.x_test), 10)


def make_callback(should_stop=None) -> tuple[ProgressCallback, SimpleNamespace]:
    callback = ProgressCallback(10, 32, on_batch=None, on_epoch=None, should_stop=should_stop)
    model = SimpleNamespace(stop_training=False)
    callback.set_model(model)
    return callback, model


@pytest.mark.parametrize("loss", [math.nan, math.inf, DIVERGED_LOSS * 10, 1e16])
def test_callback_flags_divergence(loss):
    callback, model = make_callback(should_stop=lambda: False)
    callback.on_train_batch_end(0, {"loss": loss, "accuracy": 0.1})
    assert callback.diverged and model.stop_training
    assert not callback.stopped


@pytest.mark.parametrize("loss", [0.01, 2.3, 50.0])
def test_callback_leaves_sane_losses_alone(loss):
    callback, model = make_callback(should_stop=lambda: False)
    callback.on_train_batch_end(0, {"loss": loss, "accuracy": 0.5})
    assert not callback.diverged and not callback.stopped and not model.stop_training


def test_callback_obeys_the_stop_flag():
    callback, model = make_callback(should_stop=lambda: True)
    callback.on_train_batch_end(0, {"loss": 1.0, "accuracy": 0.5})
    assert callback.stopped and model.stop_training and not callback.diverged


# ----------------------------------------------------------------------------- bad input


def test_batch_larger_than_the_training_split_is_refused(sample_data):
    # 100 images minus 10 for validation leave 90, fewer than one batch of 128.
    config = TrainingConfig.for_architecture("fast", train_size=100, batch_size=128)
    with pytest.raises(ValueError, match=r"Batch size 128 .* 90 training images"):
        train(config, sample_data)


def test_invalid_config_is_refused_before_training(sample_data):
    with pytest.raises(ValueError, match="Epochs"):
        train(TrainingConfig(epochs=0), sample_data)


# ----------------------------------------------------------------------------- split_training_data


def indexed_data(count: int = 3000) -> MnistData:
    """Training images that carry their own index in two pixels, labels = index % 10."""
    index = np.arange(count)
    x_train = np.zeros((count, 28, 28), np.uint8)
    x_train[:, 0, 0] = index // 256
    x_train[:, 0, 1] = index % 256
    y_train = (index % 10).astype(np.uint8)
    x_test, y_test = np.zeros((10, 28, 28), np.uint8), np.arange(10, dtype=np.uint8)
    return MnistData(x_train, y_train, x_test, y_test, source="sample", location="test")


def indices_of(images: np.ndarray) -> np.ndarray:
    return images[:, 0, 0].astype(np.int64) * 256 + images[:, 0, 1]


@pytest.mark.parametrize(
    "train_size, validation_split, expected_train, expected_validation",
    [
        (None, 0.1, 2700, 300),
        (2000, 0.1, 1800, 200),
        (1000, 0.25, 750, 250),
        (20, 0.01, 19, 1),  # at least one validation image
        (10_000, 0.1, 2700, 300),  # more than there is: all of it
    ],
)
def test_split_sizes(train_size, validation_split, expected_train, expected_validation):
    config = TrainingConfig(train_size=train_size, validation_split=validation_split)
    split = split_training_data(indexed_data(), config)
    assert len(split.x_train) == len(split.y_train) == expected_train
    assert len(split.x_validation) == len(split.y_validation) == expected_validation


def test_split_is_disjoint_and_keeps_images_with_their_labels():
    data = indexed_data()
    split = split_training_data(data, TrainingConfig(train_size=2000, seed=3))
    train_indices, validation_indices = indices_of(split.x_train), indices_of(split.x_validation)
    assert len(set(train_indices)) == len(train_indices)
    assert not set(train_indices) & set(validation_indices)
    np.testing.assert_array_equal(split.y_train, train_indices % 10)
    np.testing.assert_array_equal(split.y_validation, validation_indices % 10)
    # A shuffle, not the first 2,000 images in order.
    assert max(train_indices) > 2000
    assert split.x_train.dtype == np.uint8 and split.x_train.shape[1:] == (28, 28)


def test_split_is_deterministic_per_seed():
    data = indexed_data()
    first = split_training_data(data, TrainingConfig(train_size=1000, seed=5))
    again = split_training_data(data, TrainingConfig(train_size=1000, seed=5))
    other = split_training_data(data, TrainingConfig(train_size=1000, seed=6))
    np.testing.assert_array_equal(indices_of(first.x_train), indices_of(again.x_train))
    np.testing.assert_array_equal(indices_of(first.x_validation), indices_of(again.x_validation))
    assert set(indices_of(first.x_train)) != set(indices_of(other.x_train))


def test_split_of_the_sample_uses_real_labels(sample_data):
    split = split_training_data(sample_data, TrainingConfig(train_size=2000))
    assert len(split.x_train) == 1800 and len(split.x_validation) == 200
    assert set(np.unique(split.y_train)) == set(range(10))


# ----------------------------------------------------------------------------- optimizers


def learning_rate_at(optimizer: keras.optimizers.Optimizer, step: int) -> float:
    optimizer.iterations.assign(step)
    return float(optimizer.learning_rate)


def test_one_cycle_learning_rate_rises_then_falls():
    config = TrainingConfig(learning_rate=0.01, epochs=2, schedule="one-cycle")
    optimizer = build_optimizer(config, steps_per_epoch=50)  # 100 steps, 20 of warm-up
    steps = list(range(0, 101, 5))
    rates = [learning_rate_at(optimizer, step) for step in steps]
    peak = rates.index(max(rates))
    assert steps[peak] == 20
    assert rates[0] == pytest.approx(0.01 / 25, rel=1e-4)
    assert max(rates) == pytest.approx(0.01, rel=1e-4)
    assert all(a < b for a, b in zip(rates[: peak], rates[1 : peak + 1]))  # strictly rising
    assert all(a > b for a, b in zip(rates[peak:], rates[peak + 1 :]))  # strictly falling
    assert rates[-1] < 0.01 / 25  # ends below where it started


def test_constant_schedule_keeps_the_learning_rate():
    optimizer = build_optimizer(TrainingConfig(learning_rate=0.02, schedule="constant"), steps_per_epoch=50)
    assert [learning_rate_at(optimizer, step) for step in (0, 20, 149)] == pytest.approx([0.02] * 3)


@pytest.mark.parametrize(
    "name, optimizer_type",
    [
        ("adam", keras.optimizers.Adam),
        ("adadelta", keras.optimizers.Adadelta),
        ("sgd", keras.optimizers.SGD),
        ("rmsprop", keras.optimizers.RMSprop),
    ],
)
def test_build_optimizer_makes_the_named_optimizer(name, optimizer_type):
    optimizer = build_optimizer(TrainingConfig(optimizer=name, learning_rate=0.5, schedule="constant"), 10)
    assert type(optimizer) is optimizer_type
    assert learning_rate_at(optimizer, 0) == pytest.approx(0.5)


def test_build_optimizer_accepts_a_whole_number_learning_rate():
    # TrainingConfig(learning_rate=1) validates, and Keras refuses ints: build_optimizer must convert.
    for schedule in ("constant", "one-cycle"):
        optimizer = build_optimizer(TrainingConfig(optimizer="adadelta", learning_rate=1, schedule=schedule), 10)
        assert learning_rate_at(optimizer, 0) > 0


def test_a_few_steps_of_batch_norm_training_still_score_above_chance(sample_data):
    """Seven optimizer steps cannot settle batch-norm statistics by themselves (chance: 0.10)."""
    config = TrainingConfig.for_architecture("fast", epochs=1, train_size=2000)  # recipe batch 256
    result = train(config, sample_data)
    assert result.test_accuracy > 0.4
