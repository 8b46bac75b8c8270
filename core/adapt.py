"""Adapting a trained model to one person's handwriting: a short fine-tune on their kept digits, mixed
with replayed MNIST digits so it does not forget MNIST, saved as a new run beside the one it started from.

A share of the kept digits is held back, so the run can say how much it learned: accuracy on those
digits before and after, and MNIST test accuracy before and after. TensorFlow is imported only inside
`adapt`, so pages can read an adapted run's figures (`AdaptationReport`) without paying for it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from core.config import NO_NON_DIGITS, TrainingConfig
from core.mnist_format import IMAGE_SIDE, NUM_CLASSES, as_stored_digits
from core.progress import BatchProgress, EpochMetrics

if TYPE_CHECKING:
    from core.data import MnistData
    from core.runs import RunRecord
    from core.training import TrainingResult

logger = logging.getLogger(__name__)

HELD_BACK_SHARE = 0.2
"""Share of each digit's kept examples held back to score the adaptation (a digit kept once is never held back)."""


@dataclass(frozen=True)
class AdaptationRecipe:
    """How the fine-tune runs; `RECIPE` was chosen with `python -m bench.adapt` on simulated writers."""

    steps: int = 150  # optimizer steps, whatever the collection's size: the time stays bounded
    batch_size: int = 64
    kept_per_batch: int = 16  # the person's digits in each batch; the rest are replayed MNIST training digits
    learning_rate: float = 3e-4  # Adam, constant: a tenth of a full training's peak
    kept_weight: float = 1.0  # the loss weight of each of the person's digits (an MNIST digit weighs 1)
    distorted_copies: int = 8  # distorted versions of each kept digit (core.augmentation) to draw from
    freeze_convolutions: bool = False  # train only the dense layers


RECIPE = AdaptationRecipe()


@dataclass(frozen=True)
class AdaptationReport:
    """What an adaptation achieved, saved with its run (`core.runs.ADAPTATION_FILE`)."""

    source_run: str
    kept_digits: int  # the whole collection
    held_back: int  # of them, scored but never trained on
    held_back_before: float  # accuracy on the held-back digits; NaN when none could be held back
    held_back_after: float
    mnist_before: float  # test-set accuracy
    mnist_after: float
    seconds: float  # the whole adaptation: scoring before and after included

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AdaptationReport:
        """Raises ValueError for anything that is not a report this module wrote."""
        try:
            return cls(
                source_run=str(values["source_run"]),
                **{name: int(values[name]) for name in ("kept_digits", "held_back")},
                **{
                    name: float(values[name])
                    for name in ("held_back_before", "held_back_after", "mnist_before", "mnist_after", "seconds")
                },
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not an adaptation report ({type(error).__name__}: {error})") from error


def held_back_split(labels: np.ndarray, seed: int, share: float = HELD_BACK_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """Which kept digits train and which are held back: `share` of each digit's examples, at least one
    when a digit has two or more, never all of them; the same seed, the same split.

    Args:
        labels: (n,) the kept digits' labels.

    Returns:
        (training indices, held-back indices), each sorted.
    """
    rng = np.random.default_rng(seed)
    held_back = []
    for label in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == label))
        if len(indices) >= 2:
            held_back.extend(indices[: min(len(indices) - 1, max(1, round(len(indices) * share)))])
    held = np.zeros(len(labels), bool)
    held[np.asarray(held_back, dtype=np.int64)] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def adaptation_config(
    source: RunRecord, kept_digits: int, seed: int = 0, recipe: AdaptationRecipe = RECIPE
) -> TrainingConfig:
    """The config an adapted run is saved with: the source's, marked as adapted from it on `kept_digits`
    digits, with the fine-tune's own optimizer settings."""
    return dataclasses.replace(
        source.config,
        epochs=1,
        batch_size=recipe.batch_size,
        optimizer="adam",
        learning_rate=recipe.learning_rate,
        schedule="constant",
        kept_digits=True,
        kept_digit_count=kept_digits,
        adapted_from=source.run_id,
        seed=seed,
    )


def check_kept_digits(images: np.ndarray, labels: np.ndarray) -> None:
    """Refuses a collection that cannot be adapted to, with a message a person can act on.

    Raises:
        ValueError: wrong shapes, labels outside 0-9, or no digits at all.
    """
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE) or labels.shape != (len(images),):
        raise ValueError(f"Kept digits must be (n, 28, 28) images with n labels, not {images.shape} and {labels.shape}.")
    if len(labels) == 0:
        raise ValueError("There are no kept digits to adapt to: keep some on Predict first.")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError("Kept digits must be labelled 0-9.")


def _accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share answered right over every output: a "not a digit" answer to a digit is wrong. NaN for no digits."""
    return float(np.mean(probabilities.argmax(axis=1) == labels)) if len(labels) else math.nan


def _cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of the right answers, as Keras logs a loss. NaN for no digits."""
    if not len(labels):
        return math.nan
    return float(np.mean(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0))))


def _batches(
    kept: np.ndarray, kept_labels: np.ndarray, data: MnistData, config: TrainingConfig, recipe: AdaptationRecipe
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every step's batch, laid end to end: `kept_per_batch` distorted kept digits, then replayed MNIST.

    Args:
        kept: (k, 28, 28) float32 in [0, 1], the digits to learn.

    Returns:
        (steps * batch, 28, 28, 1) float32 inputs, (steps * batch,) labels (NOT_A_DIGIT for replayed
        marks) and (steps * batch,) float32 sample weights.
    """
    from core.augmentation import distorted_copies
    from core.non_digit_training import with_non_digits

    rng = np.random.default_rng(config.seed)
    kept_uint8 = as_stored_digits(kept)  # (k, 28, 28): what the distortions take
    pool = np.concatenate([kept, distorted_copies(kept_uint8, config.seed, recipe.distorted_copies)])  # (k * (1 + c), 28, 28)
    pool_labels = np.tile(kept_labels, 1 + recipe.distorted_copies)
    replay_per_batch = recipe.batch_size - recipe.kept_per_batch
    replay_count = recipe.steps * replay_per_batch
    chosen = rng.choice(len(data.x_train), replay_count, replace=replay_count > len(data.x_train))
    replay, replay_labels = data.x_train[chosen], data.y_train[chosen]
    if config.non_digits != NO_NON_DIGITS:  # keep "not a digit" in mind too: marks replace some replayed digits
        replay, replay_labels = with_non_digits(replay, replay_labels, config.non_digits, config.seed)
        replay, replay_labels = replay[:replay_count], replay_labels[:replay_count]
    picks = rng.integers(0, len(pool), (recipe.steps, recipe.kept_per_batch))  # (steps, kept per batch)
    images = np.concatenate(
        [pool[picks], replay.reshape(recipe.steps, replay_per_batch, IMAGE_SIDE, IMAGE_SIDE).astype(np.float32) / 255.0],
        axis=1,
    )  # (steps, batch, 28, 28) float32 in [0, 1]
    labels = np.concatenate([pool_labels[picks], replay_labels.reshape(recipe.steps, replay_per_batch)], axis=1)
    weights = np.ones((recipe.steps, recipe.batch_size), np.float32)
    weights[:, : recipe.kept_per_batch] = recipe.kept_weight
    return images.reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1), labels.reshape(-1), weights.reshape(-1)


def adapt(
    source: RunRecord,
    images: np.ndarray,
    labels: np.ndarray,
    data: MnistData,
    config: TrainingConfig,
    *,
    recipe: AdaptationRecipe = RECIPE,
    on_batch: Callable[[BatchProgress], None] | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainingResult:
    """Fine-tunes `source`'s model on the kept digits and scores it before and after.

    Args:
        source: the run to start from; its model file is loaded afresh.
        images: (n, 28, 28) float32 in [0, 1], the kept digits as the model takes them.
        labels: (n,) their digits.
        data: MNIST, for the replayed training digits and the test set.
        config: the new run's config (`adaptation_config`); its seed splits, samples and distorts.
        recipe: the fine-tune's settings.
        on_batch: called after every step; `batches_per_epoch` is the number of steps.
        on_epoch: called once, at the end, with the held-back digits as validation.
        should_stop: polled after every step; True ends the fine-tune there (status `RunStatus.STOPPED`).

    Returns:
        The new run's model and figures, ready for `RunStore.save`, with its `AdaptationReport`.

    Raises:
        ValueError: the kept digits cannot be adapted to, or the source's model cannot be loaded.
    """
    import keras

    from core.inference import load_model, predict_probabilities
    from core.runs import MODEL_FILE
    from core.training import ProgressCallback, TrainingResult, training_targets

    check_kept_digits(images, labels)
    started = time.perf_counter()
    model = load_model(source.path / MODEL_FILE)
    training, held_back = held_back_split(labels, config.seed)
    held_back_before = _accuracy(predict_probabilities(model, images[held_back]), labels[held_back])
    mnist_before = _accuracy(predict_probabilities(model, data.x_test), data.y_test)

    x, y, weights = _batches(images[training], labels[training], data, config, recipe)
    keras.utils.set_random_seed(config.seed)
    for layer in model.layers:
        # Batch norm keeps the statistics of the data it was trained on: a few steps of small mixed
        # batches would only make them noisier (a frozen batch-norm layer also runs in inference mode).
        if isinstance(layer, keras.layers.BatchNormalization) or (
            recipe.freeze_convolutions and isinstance(layer, keras.layers.Conv2D)
        ):
            layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    progress = ProgressCallback(recipe.steps, recipe.batch_size, on_batch, None, should_stop)
    targets = keras.ops.convert_to_numpy(training_targets(y.astype(np.int32), config.non_digits))  # (m, classes)
    model.fit(x, targets, sample_weight=weights, batch_size=recipe.batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=[progress])

    held_back_probabilities = predict_probabilities(model, images[held_back])
    test_probabilities = predict_probabilities(model, data.x_test)  # (n_test, classes)
    report = AdaptationReport(
        source_run=source.run_id,
        kept_digits=len(labels),
        held_back=len(held_back),
        held_back_before=held_back_before,
        held_back_after=_accuracy(held_back_probabilities, labels[held_back]),
        mnist_before=mnist_before,
        mnist_after=_accuracy(test_probabilities, data.y_test),
        seconds=time.perf_counter() - started,
    )
    trained = progress.history[-1]
    metrics = dataclasses.replace(
        trained,
        val_loss=_cross_entropy(held_back_probabilities, labels[held_back]),
        val_accuracy=report.held_back_after,
        elapsed_s=report.seconds,
    )
    if on_epoch is not None:
        on_epoch(metrics)
    logger.info("Adapted run %s on %d kept digits: %s", source.run_id, len(labels), report)
    return TrainingResult(
        model=model,
        config=config,
        history=(metrics,),
        test_probabilities=test_probabilities,
        test_accuracy=report.mnist_after,
        duration_s=report.seconds,
        status=progress.status,
        data_source=data.source,
        # A few hundred steps barely move the confidences: the source's calibration still holds.
        not_sure_floor=source.not_sure_floor,
        temperature=source.temperature,
        adaptation=report,
    )
