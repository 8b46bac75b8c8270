"""Training a named architecture, with progress reported through plain callables and a stop flag.

Nothing here knows about Streamlit or threads: the caller passes `on_batch`, `on_epoch` and
`should_stop`, which is what lets the same function serve the CLI, the dashboard job and tests.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

import keras
import tensorflow as tf

from core.adapt import AdaptationReport
from core.architectures import build_model
from core.augmentation import build_augmenter, distorted_copies
from core.calibration import fit_temperature
from core.comparison import per_class_accuracy
from core.config import ELEVENTH_CLASS_AFTER_TRAINING, NO_NON_DIGITS, OUTLIER_EXPOSURE, TrainingConfig
from core.data import MnistData
from core.training_network import for_keeping, for_training
from core.inference import graph_predictor, predict_probabilities, to_model_input
from core.mnist_format import NUM_CLASSES, as_stored_digits
from core.non_digit_training import output_classes, with_non_digits
from core.not_a_digit_output import with_not_a_digit_output
from core.progress import BatchProgress, EpochMetrics, RunStatus
from core.template_digits import with_template_digits
from core.uji import UjiEpochs
from core.uncertainty import NOT_A_DIGIT, digit_probabilities, fit_not_sure_floor

logger = logging.getLogger(__name__)

# Cross-entropy at chance is ln 10 (about 2.3) and sane runs stay below ~50 even in their first
# batches; a running mean this high means the weights blew up, even when batch norm keeps it finite.
DIVERGED_LOSS = 1_000.0
# Fewer optimizer steps than this leave batch-norm statistics unsettled: see settle_batch_norm.
SETTLED_STEPS = 300
# The "not sure" floor is fitted on this many distorted copies of each validation digit: 1 in 500
# of 6,000 digits is only 12 of them, too few to place a quantile steadily.
FLOOR_DISTORTED_COPIES = 3
# Kept digits (`TrainingConfig.kept_digits`) are repeated until they make up this share of the training
# digits, each repeat distorted anew when augmenting: a hundred digits among 54,000 would not count.
KEPT_DIGIT_SHARE = 0.02
MAX_KEPT_DIGIT_REPEATS = 20  # more would have the model learn a few drawings by heart


@dataclass(frozen=True)
class TrainingResult:
    """A finished (or stopped) training, ready to be saved as a run."""

    model: keras.Model
    config: TrainingConfig
    history: tuple[EpochMetrics, ...]
    test_probabilities: np.ndarray  # (n_test, classes) float32: 10, or 11 with "not a digit"
    test_accuracy: float
    duration_s: float
    status: RunStatus
    data_source: str
    not_sure_floor: float  # fitted on distorted copies of the validation digits
    temperature: float  # calibration temperature fitted on the validation digits
    adaptation: AdaptationReport | None = None  # what a fine-tune on kept digits achieved (core.adapt)


@dataclass(frozen=True)
class DataSplit:
    """Training and validation arrays cut from the training set."""

    x_train: np.ndarray  # (n, 28, 28) uint8
    y_train: np.ndarray  # (n,) uint8
    x_validation: np.ndarray  # (v, 28, 28) uint8
    y_validation: np.ndarray  # (v,) uint8


def split_training_data(data: MnistData, config: TrainingConfig) -> DataSplit:
    """A seeded shuffle of the training set, cut to `train_size`, minus a validation share."""
    order = np.random.default_rng(config.seed).permutation(len(data.x_train))
    if config.train_size is not None:
        order = order[: config.train_size]
    validation_count = max(1, round(len(order) * config.validation_split))
    validation, train = order[:validation_count], order[validation_count:]
    return DataSplit(data.x_train[train], data.y_train[train], data.x_train[validation], data.y_train[validation])


def with_kept_digits(
    images: np.ndarray, labels: np.ndarray, kept_images: np.ndarray, kept_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The training digits plus the kept ones, repeated to `KEPT_DIGIT_SHARE` of them (at most `MAX_KEPT_DIGIT_REPEATS` times).

    Args:
        images: (n, 28, 28) uint8 training digits.
        kept_images: (k, 28, 28) float32 in [0, 1], the kept digits as the model takes them.
    """
    if not len(kept_labels):
        logger.warning("Training was asked to include kept digits, but there are none")
        return images, labels
    repeats = min(MAX_KEPT_DIGIT_REPEATS, max(1, round(KEPT_DIGIT_SHARE * len(images) / len(kept_labels))))
    logger.info("training with %d kept digits, each %d times", len(kept_labels), repeats)
    kept = as_stored_digits(kept_images)  # (k, 28, 28)
    return (np.concatenate([images, np.tile(kept, (repeats, 1, 1))]),
            np.concatenate([labels, np.tile(kept_labels.astype(labels.dtype), repeats)]))


def training_targets(labels: tf.Tensor, non_digits: str) -> tf.Tensor:
    """(b, classes) targets; a `NOT_A_DIGIT` label is its own class, or uniform over the digits."""
    if output_classes(non_digits) == NUM_CLASSES + 1:
        return tf.one_hot(labels, NUM_CLASSES + 1)
    targets = tf.one_hot(labels, NUM_CLASSES)  # a NOT_A_DIGIT label is all zeros here
    if non_digits == OUTLIER_EXPOSURE:
        targets += tf.cast(labels == NOT_A_DIGIT, tf.float32)[:, tf.newaxis] / NUM_CLASSES
    return targets


PREFETCHED_BATCHES = 4

_WITHOUT_AUTOTUNER = tf.data.Options()
# The autotuner's thread sleeps between passes, for periods that double as an epoch goes on, and
# dropping an epoch's iterator waited out the current period: up to ~20 s between some epochs of `best`,
# with the processor idle (issue 17; reproduced with the pipeline alone, gone with the autotuner off).
_WITHOUT_AUTOTUNER.autotune.enabled = False

UJI_DRAWINGS_PER_DIGIT = 8
"""How many drawings of each UJI digit a training makes up front: one per epoch up to this many, then again."""


def _uji_dataset(uji: UjiEpochs, epochs: int) -> tf.data.Dataset:
    """UJI's (image, label, weight) samples, a new drawing of every digit on each pass over the data.

    The drawings are made before training (0.3-0.45 s an epoch's worth) and held in the pipeline; a counter
    inside it picks the next set each time the data is iterated. So no Python runs inside the pipeline while
    the network trains, as it did through `from_generator`.
    """
    drawings = tf.constant(uji.drawings(min(epochs, UJI_DRAWINGS_PER_DIGIT)))  # (passes, n, 28, 28) uint8
    labels, weights = tf.constant(uji.labels), tf.fill([len(uji)], np.float32(uji.weight))
    passes_begun = tf.Variable(-1, dtype=tf.int64, trainable=False)

    def one_pass(_: tf.Tensor) -> tf.data.Dataset:
        drawing = passes_begun.assign_add(1) % drawings.shape[0]
        return tf.data.Dataset.from_tensor_slices((tf.gather(drawings, drawing), labels, weights))

    passes = tf.data.Dataset.range(1).flat_map(one_pass)
    return passes.apply(tf.data.experimental.assert_cardinality(len(uji)))  # so Keras knows the epoch's length


def _dataset(images: np.ndarray, labels: np.ndarray, config: TrainingConfig,
             uji: UjiEpochs | None = None) -> tf.data.Dataset:
    """Shuffled training batches of (x, one-hot y[, sample weight]); uint8 stays uint8 until the batch, which keeps memory small.

    With `uji`, every sample carries a weight: 1 for the MNIST digits, `uji.weight` for UJI's.
    """
    if uji is None:
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    else:
        dataset = tf.data.Dataset.from_tensor_slices((images, labels, np.ones(len(labels), np.float32)))
        dataset = dataset.concatenate(_uji_dataset(uji, config.epochs))
    dataset = dataset.shuffle(len(images) + (0 if uji is None else len(uji)), seed=config.seed,
                              reshuffle_each_iteration=True)
    dataset = dataset.batch(config.batch_size)
    augmenter = build_augmenter(config.seed) if config.augment else None

    def to_tensors(batch_index: tf.Tensor, batch: tuple[tf.Tensor, ...]) -> tuple[tf.Tensor, ...]:
        x, y, *weights = batch
        x = tf.cast(x, tf.float32)[..., tf.newaxis] / 255.0  # (b, 28, 28, 1) float32 in [0, 1]
        if augmenter is not None:
            x = augmenter(x, batch_index)
        return x, training_targets(tf.cast(y, tf.int32), config.non_digits), *weights

    # enumerate() numbers the batches so the stateless pen-width draw differs from batch to batch.
    # With tf.data's autotuner off, AUTOTUNE maps on as many threads as there are cores.
    dataset = dataset.enumerate().map(to_tensors, num_parallel_calls=tf.data.AUTOTUNE).prefetch(PREFETCHED_BATCHES)
    return dataset.with_options(_WITHOUT_AUTOTUNER)


def build_optimizer(config: TrainingConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The configured optimizer; one-cycle is a linear warm-up then a cosine decay to near zero."""
    # float(): Keras refuses an int learning rate, and a config built in code may carry one.
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = float(config.learning_rate)
    if config.schedule == "one-cycle":
        total_steps = max(2, steps_per_epoch * config.epochs)
        warmup_steps = max(1, total_steps // 5)
        learning_rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=config.learning_rate / 25,
            decay_steps=total_steps - warmup_steps,
            alpha=0.002,
            warmup_target=config.learning_rate,
            warmup_steps=warmup_steps,
        )
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate)
    if config.optimizer == "adadelta":
        return keras.optimizers.Adadelta(learning_rate)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    return keras.optimizers.RMSprop(learning_rate)


class ProgressCallback(keras.callbacks.Callback):
    """Forwards Keras' batch and epoch events to plain callables and obeys the stop flag."""

    def __init__(
        self,
        batches_per_epoch: int,
        batch_size: int,
        on_batch: Callable[[BatchProgress], None] | None,
        on_epoch: Callable[[EpochMetrics], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        super().__init__()
        self.batches_per_epoch = batches_per_epoch
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.on_epoch = on_epoch
        self.should_stop = should_stop
        self.history: list[EpochMetrics] = []
        self.stopped = False
        self.diverged = False
        self.started = time.perf_counter()
        self.epoch_started = self.started
        self.batches_done = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def status(self) -> RunStatus:
        """How the fit ended: the loss blew up, the stop flag ended it, or it ran every batch."""
        return RunStatus.DIVERGED if self.diverged else RunStatus.STOPPED if self.stopped else RunStatus.COMPLETED

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_started = time.perf_counter()
        self.batches_done = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.batches_done = batch + 1
        loss = float(logs.get("loss", math.nan))
        if not math.isfinite(loss) or loss > DIVERGED_LOSS:
            # A learning rate too high makes the loss explode or overflow; nothing useful can follow.
            self.diverged = True
            self.model.stop_training = True
        elif self.should_stop is not None and self.should_stop():
            self.stopped = True
            self.model.stop_training = True
        if self.on_batch is not None:
            epoch_seconds = max(time.perf_counter() - self.epoch_started, 1e-9)
            self.on_batch(
                BatchProgress(
                    epoch=len(self.history) + 1,
                    batch=self.batches_done,
                    batches_per_epoch=self.batches_per_epoch,
                    loss=loss,
                    accuracy=float(logs.get("accuracy", math.nan)),
                    images_per_second=self.batches_done * self.batch_size / epoch_seconds,
                    elapsed_s=self.elapsed(),
                )
            )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        metrics = EpochMetrics(
            epoch=epoch + 1,
            loss=float(logs.get("loss", math.nan)),
            accuracy=float(logs.get("accuracy", math.nan)),
            val_loss=float(logs.get("val_loss", math.nan)),
            val_accuracy=float(logs.get("val_accuracy", math.nan)),
            elapsed_s=self.elapsed(),
            complete=self.batches_done >= self.batches_per_epoch,
            val_per_class_accuracy=tuple(logs.get("val_per_class_accuracy", ())),
        )
        self.history.append(metrics)
        if self.on_epoch is not None:
            self.on_epoch(metrics)


def validation_scores(
    predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray, labels: np.ndarray, label_smoothing: float = 0.0
) -> dict[str, float | list[float]]:
    """The validation loss and accuracy Keras would log, and the accuracy on each digit apart.

    Args:
        predict: the model being trained, as `predict_probabilities` of it: (v, 28, 28) -> (v, classes).
        images: (v, 28, 28) uint8 validation digits.
        labels: (v,) their digits.
        label_smoothing: the training loss's, so that the two loss curves compare like with like.

    Returns:
        `val_loss` and `val_accuracy` over all outputs (a "not a digit" answer is wrong), and
        `val_per_class_accuracy`, ten shares over the digits alone, as the analysis pages count.
    """
    probabilities = predict(images)  # (v, classes)
    targets = np.eye(probabilities.shape[1], dtype=np.float32)[labels]  # (v, classes) one-hot
    losses = keras.ops.convert_to_numpy(
        keras.losses.categorical_crossentropy(targets, probabilities, label_smoothing=label_smoothing)
    )  # (v,)
    return {
        "val_loss": float(np.mean(losses)),
        "val_accuracy": float(np.mean(probabilities.argmax(axis=1) == labels)),
        "val_per_class_accuracy": per_class_accuracy(labels, digit_probabilities(probabilities)).tolist(),
    }


class _ValidationScores(keras.callbacks.Callback):
    """Adds `validation_scores` to every epoch's logs, for the callbacks after it.

    It takes the place of `fit(validation_data=...)`: Keras' metrics cannot split accuracy by digit,
    and one pass over the validation digits per epoch gives all three scores. The model answers
    through one traced graph, in half the time of eager calls (0.23 against 0.45 s for `fast`'s
    6,000 digits here, issue 17): every epoch pays it inside the training time.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, label_smoothing: float) -> None:
        super().__init__()
        self.images, self.labels, self.label_smoothing = images, labels, label_smoothing
        self.predict: Callable[[np.ndarray], np.ndarray] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.predict = graph_predictor(self.model)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and self.predict is not None:  # fit passes the one dict every callback then reads
            logs.update(validation_scores(self.predict, self.images, self.labels, self.label_smoothing))


def settle_batch_norm(model: keras.Model, images: np.ndarray, batches: int = 60, batch_size: int = 128) -> None:
    """Re-estimates batch-norm moving statistics with weight-free forward passes.

    With momentum 0.9 the moving mean and variance need ~50 updates to forget their initial
    values: a short run (a small training set, one epoch) would otherwise score near chance at
    inference although it trained well. Training-mode forward passes update the statistics only.
    """
    if not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers):
        return
    # One compiled call per batch: eager layer-by-layer calls each wait for the GIL, and in the app's
    # server, where page reruns hold it, 60 eager passes took over a minute.
    forward = tf.function(lambda batch: model(batch, training=True))
    rng = np.random.default_rng(0)
    for _ in range(batches):
        batch = images[rng.integers(0, len(images), batch_size)]  # (b, 28, 28) uint8
        forward(to_model_input(batch))


def train(
    config: TrainingConfig,
    data: MnistData,
    *,
    kept_digits: tuple[np.ndarray, np.ndarray] | None = None,
    on_batch: Callable[[BatchProgress], None] | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TrainingResult:
    """Trains `config.architecture` on `data` and scores it on the test set.

    Args:
        config: what to train and how; validated here.
        data: the MNIST arrays (full set or the bundled sample).
        kept_digits: (images (k, 28, 28) float32 in [0, 1], labels (k,)), the kept digits that join the
            training digits when `config.kept_digits` is set.
        on_batch: called after every batch, on the training thread.
        on_epoch: called after every epoch, on the training thread.
        should_stop: polled after every batch; True ends training after that batch, and the
            partly trained model is still returned (status `RunStatus.STOPPED`).
        callbacks: extra Keras callbacks (the benchmark scores the test set after each epoch).

    Raises:
        ValueError: the config is invalid, the data too small for it, or it asks for kept digits not given.
    """
    config.validate()
    if config.kept_digits and kept_digits is None:
        raise ValueError("This training includes kept digits, but none were given.")
    split = split_training_data(data, config)
    if len(split.x_train) < config.batch_size:
        raise ValueError(
            f"Batch size {config.batch_size} is larger than the {len(split.x_train)} training images left "
            "after the validation split."
        )
    x_train, y_train = split.x_train, split.y_train
    if config.template_digits:
        x_train, y_train = with_template_digits(x_train, y_train, config.seed)
    if config.kept_digits:
        x_train, y_train = with_kept_digits(x_train, y_train, *kept_digits)
    # "Not a digit" fitted afterwards trains the network on digits alone, as without it.
    fitted_afterwards = config.non_digits == ELEVENTH_CLASS_AFTER_TRAINING
    network_config = replace(config, non_digits=NO_NON_DIGITS) if fitted_afterwards else config
    x_train, y_train = with_non_digits(x_train, y_train, network_config.non_digits, config.seed)
    uji = UjiEpochs(len(split.x_train), config.seed, share=config.uji_share) if config.uji_digits else None
    keras.utils.set_random_seed(config.seed)
    model = for_training(build_model(config.architecture, output_classes(network_config.non_digits)), config.compute_dtype)
    steps_per_epoch = math.ceil((len(x_train) + (0 if uji is None else len(uji))) / config.batch_size)
    model.compile(
        optimizer=build_optimizer(config, steps_per_epoch),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )
    progress = ProgressCallback(steps_per_epoch, config.batch_size, on_batch, on_epoch, should_stop)
    model.fit(
        _dataset(x_train, y_train, network_config, uji=uji),
        epochs=config.epochs,
        callbacks=[_ValidationScores(split.x_validation, split.y_validation, config.label_smoothing), progress, *callbacks],
        shuffle=False,  # The dataset reshuffles itself each epoch, seeded.
        verbose=0,
    )
    model = for_keeping(model)
    if steps_per_epoch * len(progress.history) < SETTLED_STEPS and not progress.diverged:
        settle_batch_norm(model, split.x_train)
    distorted_validation = distorted_copies(split.x_validation, config.seed, FLOOR_DISTORTED_COPIES)
    if fitted_afterwards and not progress.diverged:
        digits = x_train if uji is None else np.concatenate([x_train, uji.render()])
        model = with_not_a_digit_output(model, config.architecture, digits, distorted_validation, config.seed)
    return scored_result(
        model, config, split, data, distorted_validation, tuple(progress.history), progress.elapsed(), progress.status
    )


def scored_result(
    model: keras.Model,
    config: TrainingConfig,
    split: DataSplit,
    data: MnistData,
    distorted_validation: np.ndarray,
    history: tuple[EpochMetrics, ...],
    duration_s: float,
    status: RunStatus,
) -> TrainingResult:
    """A trained model with its test figures, "not sure" floor and calibration temperature, ready to save.

    Args:
        distorted_validation: (v, 28, 28) float32 in [0, 1], the validation digits distorted as in
            training; the floor is fitted on them.
    """
    validation_probabilities = predict_probabilities(model, split.x_validation)  # (v, classes)
    test_probabilities = predict_probabilities(model, data.x_test)  # (n_test, classes)
    return TrainingResult(
        model=model,
        config=config,
        history=history,
        test_probabilities=test_probabilities,
        test_accuracy=float(np.mean(test_probabilities.argmax(axis=1) == data.y_test)),
        duration_s=duration_s,
        status=status,
        data_source=data.source,
        not_sure_floor=fit_not_sure_floor(predict_probabilities(model, distorted_validation)),
        # Fitted over the digits alone: the analysis pages that apply it see digits only (core.runs).
        temperature=fit_temperature(digit_probabilities(validation_probabilities), split.y_validation),
    )
