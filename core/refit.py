"""Refitting a saved run's "not a digit" output with today's drawn marks, the network untouched.

"Not a digit" is fitted after training (`core.not_a_digit_output`): 256 weights and a bias on the frozen
network's features. When the marks it learns from improve, a run trained before need not be trained
again (ten minutes on two cores): its digit outputs are kept as they are, only the eleventh is fitted
anew, in about a minute and a half, against the digits training used (the run's own MNIST split and
template digits, remade from its config and seed, and one rendering of the UJI digits). The result is
saved as a new run with the same config and training history; the run it came from stays as it was.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np

from core.config import ELEVENTH_CLASS_AFTER_TRAINING

if TYPE_CHECKING:
    from core.data import MnistData
    from core.progress import EpochMetrics
    from core.runs import RunRecord
    from core.training import TrainingResult

logger = logging.getLogger(__name__)


def check_refittable(source: RunRecord) -> None:
    """Refuses a run whose "not a digit" output was not fitted after training, with a message a person can act on.

    Raises:
        ValueError: the run has no fitted output, or was adapted to kept digits (which the refit cannot see).
    """
    if source.config.non_digits != ELEVENTH_CLASS_AFTER_TRAINING:
        raise ValueError(
            f'run {source.run_id} learned "not a digit" as {source.config.non_digits!r}; only a run trained with '
            f'"{ELEVENTH_CLASS_AFTER_TRAINING}" has an output that can be fitted again'
        )
    if source.config.kept_digits:
        raise ValueError(
            f"run {source.run_id} was trained on kept digits, which a refit cannot see; refit the run it came from"
        )


def refit_not_a_digit(source: RunRecord, history: tuple[EpochMetrics, ...], data: MnistData) -> TrainingResult:
    """`source`'s network with its "not a digit" output fitted again on today's marks, scored like a training.

    Args:
        source: a run whose output was fitted after training (`check_refittable`).
        history: its training history, carried over unchanged (`RunStore.history`).
        data: MNIST, the full set the run was trained on; its split is remade from the run's seed.

    Returns:
        The new run's model and figures, ready for `RunStore.save`; its duration stays the training's.

    Raises:
        ValueError: the run cannot be refitted, or its model cannot be loaded.
    """
    from core.augmentation import distorted_copies
    from core.inference import load_model
    from core.not_a_digit_output import with_not_a_digit_output
    from core.runs import MODEL_FILE
    from core.template_digits import with_template_digits
    from core.training import FLOOR_DISTORTED_COPIES, scored_result, split_training_data
    from core.uji import UjiEpochs

    check_refittable(source)
    started = time.perf_counter()
    config = source.config
    model = load_model(source.path / MODEL_FILE)
    split = split_training_data(data, config)
    digits = split.x_train
    if config.template_digits:
        digits, _ = with_template_digits(split.x_train, split.y_train, config.seed)
    if config.uji_digits:
        digits = np.concatenate([digits, UjiEpochs(len(split.x_train), config.seed, share=config.uji_share).render()])
    distorted_validation = distorted_copies(split.x_validation, config.seed, FLOOR_DISTORTED_COPIES)
    model = with_not_a_digit_output(model, config.architecture, digits, distorted_validation, config.seed)
    logger.info('refitted run %s\'s "not a digit" output in %.1f s', source.run_id, time.perf_counter() - started)
    return scored_result(model, config, split, data, distorted_validation, history, source.duration_s, source.status)
