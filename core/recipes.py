"""The training recipe of each architecture by name: plain values, no Keras, so pages list them fast.

The networks themselves are built by `core.architectures`, under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ARCHITECTURE = "fast"

UJI_SHARE = 0.12
"""The default weight of all UJI training digits together, as a share of the MNIST digits trained beside them.

800 digits against 54,000 would barely move the model: at a weight of 1 they are 1.5% of the loss.
At 0.12 they weigh together about as much as the template digits (11% of the training digits), which
the README shows lift pen input without costing MNIST accuracy; each UJI digit then counts as about 8
MNIST digits. More would let 40 people's habits outweigh thousands of MNIST writers. A weight rather
than 8 repetitions: each digit is drawn once per epoch, so an epoch pays for 800 drawings (~1.5 s),
not 6,400.
"""


@dataclass(frozen=True)
class Recipe:
    """What an architecture was designed to be trained with, and a line saying what it is."""

    name: str
    description: str
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int
    augment: bool
    schedule: str  # "constant" or "one-cycle"
    label_smoothing: float = 0.0  # share of each target spread over the other classes
    compute_dtype: str = "float32"  # the arithmetic of training steps (core.config.COMPUTE_DTYPES)
    uji_digits: bool = False  # also train on UJI writers 1-40's pen digits (core.uji)
    uji_share: float = UJI_SHARE  # their weight together, as a share of the MNIST digits
    template_digits: bool = False  # also train on pen-drawn template digits (core.template_digits)
    non_digits: str = "none"  # one of core.config.NON_DIGIT_METHODS


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            name="fast",
            description="Small batch-normalised CNN, one epoch of one-cycle Adam, European pen digits: ~99% in seconds.",
            optimizer="adam",
            # Measured here (issue 17): one epoch at a peak of 0.02 with smoothing 0.1 reached 99.02-99.14% over
            # three seeds; 0.01 without smoothing, 98.89%; 0.03, 99.04%; batch 512, 98.68%.
            learning_rate=0.02,
            batch_size=256,
            epochs=1,
            augment=False,
            schedule="one-cycle",
            label_smoothing=0.1,
            # One epoch of MNIST alone read real handwriting worse than the old two (pendigits 93.5-94.1% against
            # 94.9-95.6%); template digits and UJI at a twentieth of MNIST's weight read it better than the old
            # recipe on every set over three seeds (pendigits 96.2-96.3%), MNIST 98.95-99.12% (issue 17). At
            # UJI's usual 0.12 MNIST fell to 98.81%.
            template_digits=True,
            uji_digits=True,
            uji_share=0.05,
        ),
        Recipe(
            name="best",
            description="Wider CNN, augmented, with European pen digits and \"not a digit\": the shipped recipe (~99.5%).",
            optimizer="adam",
            learning_rate=0.005,
            batch_size=128,
            # Measured here: 99.49-99.51% MNIST test after these 8 epochs over three seeds (issue 15's second retrain).
            epochs=8,
            augment=True,
            schedule="one-cycle",
            # Issue 17: in bfloat16 an epoch took 19-21 s against 28-33 s in float32 (2 Zen 4 cores), so all 8 fit
            # in 3 minutes; smoothing 0.1 lifted the network's 8th epoch from 99.43 / 99.56 / 99.43% (seeds 0-2)
            # to 99.56 / 99.54 / 99.54%. The shipped model predates both (float32, no smoothing).
            label_smoothing=0.1,
            compute_dtype="bfloat16",
            # The shipped model's recipe (issue 15): UJI writers 1-40 and the template digits beside MNIST read
            # pendigits 97.99-98.39% and Semeion 94.60-94.79% over three seeds. "Not a digit" trained in as an
            # eleventh class cost Semeion about 1.6 points and answered "-" to 2.9% of its scans; fitted after
            # training it leaves the digits' answers as they were (README, Real handwriting).
            uji_digits=True,
            template_digits=True,
            non_digits="eleventh class after training",
        ),
        Recipe(
            name="seed",
            description="The original project's CNN (2 conv, max-pool, 2 dropout, dense 256), Adadelta.",
            optimizer="adadelta",
            # Keras 3's default of 0.001 barely moves (~68% after 3 epochs); Keras 1 used 1.0.
            learning_rate=1.0,
            batch_size=128,
            epochs=10,
            augment=False,
            schedule="constant",
        ),
    )
}


def get_recipe(name: str) -> Recipe:
    """Looks up an architecture's recipe by name.

    Raises:
        ValueError: the name is not one of `RECIPES`.
    """
    try:
        return RECIPES[name]
    except KeyError:
        known = ", ".join(RECIPES)
        raise ValueError(f"Unknown architecture {name!r}; choose one of: {known}.") from None
