"""A model card: one Markdown page describing a run, for people who download its model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.progress import EpochMetrics
from core.runs import RunRecord

if TYPE_CHECKING:
    import keras


def architecture_summary(model: keras.Model) -> str:
    """Keras' layer table as text."""
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), line_length=90)
    return "\n".join(lines)


def model_card(run: RunRecord, history: list[EpochMetrics], summary: str) -> str:
    """Markdown describing what the run is, how it was trained and how well it does."""
    config = run.config
    curve = "\n".join(
        f"| {m.epoch} | {m.loss:.4f} | {m.accuracy:.4f} | {m.val_loss:.4f} | {m.val_accuracy:.4f} | {m.elapsed_s:.1f} |"
        for m in history
    )
    return f"""# Model card: {run.run_id}

A `{config.architecture}` convolutional network classifying 28x28 grey-level images of handwritten
digits (white on black, MNIST's format) into the ten classes 0-9. Trained with Digit Lab.

## Metrics
- MNIST test accuracy: **{run.test_accuracy:.2%}**
- Status: {run.status}; {run.epochs_completed} complete epoch(s) in {run.duration_s:.0f} s
- Parameters: {run.parameter_count:,}

## Data
MNIST ({run.data_source}); {config.validation_split:.0%} of the training images held out for validation;
training-set size: {config.train_size or "all"}. Augmentation: {"on" if config.augment else "off"}.
Pen-drawn template digits (European styles): {"added" if config.template_digits else "none"}.
European pen digits, UJI Pen Characters v2 writers 1-40 (Prat, Castro, Llorens, Marzal, Vilar; UCI
dataset 177, DOI 10.24432/C5FG8S, CC BY 4.0): {f"added, drawn anew each epoch, weighing {config.uji_share:.0%} of the MNIST digits" if config.uji_digits else "none"}.
Drawn shapes and scribbles taught "not a digit": {config.non_digits}.

## Training configuration
| setting | value |
|---|---|
""" + "\n".join(f"| {key} | {value} |" for key, value in config.to_dict().items()) + f"""

## Learning curve
| epoch | loss | accuracy | val loss | val accuracy | seconds |
|---|---|---|---|---|---|
{curve}

## Architecture
```
{summary}
```

## Intended use and limits
Inputs must be preprocessed like MNIST (ink bright on black, longest side 20 px, centred by mass in
28x28), as `core.preprocessing.preprocess_digit` does. Trained on American writers' digits:
European flagged 1s and crossed 7s are read less reliably.
"""
