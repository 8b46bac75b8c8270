"""One architecture's training, timed, with the test set scored after every epoch.

Run in its own process by `bench.benchmark` so peak memory belongs to this training alone:
`python -m bench.train_timing --arch fast [--epochs N]` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from core.config import TrainingConfig  # noqa: E402
from core.data import load_mnist  # noqa: E402
from core.inference import predict_probabilities  # noqa: E402
from core.training import train  # noqa: E402


class TestAccuracyAfterEachEpoch(keras.callbacks.Callback):
    """Scores the test set at each epoch end and keeps that time out of the training clock.

    The epochs' clock starts with the first epoch, as in every earlier benchmark run; what `train` does
    before it (the split, the template digits, UJI's drawings for every epoch, building the network) is
    timed apart, from the scorer's making just before `train` is called.
    """

    def __init__(self, x_test: np.ndarray, y_test: np.ndarray) -> None:
        super().__init__()
        self.x_test, self.y_test = x_test, y_test
        self.made = self.started = time.perf_counter()
        self.preparation_s = 0.0
        self.scoring_s = 0.0
        self.epochs: list[dict[str, float]] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.started = time.perf_counter()
        self.preparation_s = self.started - self.made

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        scoring_started = time.perf_counter()
        training_s = scoring_started - self.started - self.scoring_s
        accuracy = float(np.mean(predict_probabilities(self.model, self.x_test).argmax(axis=1) == self.y_test))
        self.scoring_s += time.perf_counter() - scoring_started
        self.epochs.append({"epoch": epoch + 1, "training_s": training_s, "test_accuracy": accuracy})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--epochs", type=int, help="cap on the recipe's epochs")
    parser.add_argument("--batch-size", type=int)
    args = parser.parse_args()
    data = load_mnist(fallback_to_sample=False)
    recipe = TrainingConfig.for_architecture(args.arch)
    epochs = min(recipe.epochs, args.epochs) if args.epochs else recipe.epochs
    config = TrainingConfig.for_architecture(args.arch, epochs=epochs, batch_size=args.batch_size)
    scorer = TestAccuracyAfterEachEpoch(data.x_test, data.y_test)
    result = train(config, data, callbacks=[scorer])
    training_images = len(data.x_train) * (1 - config.validation_split)
    total_training_s = scorer.epochs[-1]["training_s"]
    json.dump(
        {
            "architecture": args.arch,
            "config": config.to_dict(),
            "parameters": int(result.model.count_params()),
            "epochs": scorer.epochs,
            "images_per_second": training_images * len(scorer.epochs) / total_training_s,
            "seconds_per_epoch": total_training_s / len(scorer.epochs),
            "preparation_seconds": scorer.preparation_s,
            "final_test_accuracy": result.test_accuracy,
            # The whole run as the Train page's clock shows it (the epochs, then batch-norm settling and the
            # fitted "not a digit" output where the recipe has them), less this script's test scoring.
            "run_seconds": result.duration_s - scorer.scoring_s,
            "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
