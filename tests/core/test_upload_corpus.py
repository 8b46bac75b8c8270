"""The whole upload path in core (decode, find the digits, model) on every kind of file a demo meets."""

from __future__ import annotations

import numpy as np
import pytest

from core.images import ImageDecodeError, decode_image
from core.inference import predict_probabilities
from core.preprocessing import NoInkError
from core.segmentation import segment_digits
from tests.upload_corpus import Upload, build_corpus

CORPUS = build_corpus()


@pytest.fixture(scope="module")
def shipped_model():
    from core.inference import load_model
    from core.runs import SHIPPED_RUN_DIR

    return load_model(SHIPPED_RUN_DIR / "model.keras")


@pytest.mark.parametrize("upload", [upload for upload in CORPUS if upload.error_words], ids=lambda upload: upload.name)
def test_bad_files_get_their_own_message(upload: Upload) -> None:
    with pytest.raises((ImageDecodeError, NoInkError), match=upload.error_words):
        segment_digits(decode_image(upload.data, name=upload.name))


@pytest.mark.parametrize("upload", [upload for upload in CORPUS if upload.digit is not None], ids=lambda upload: upload.name)
def test_digits_in_every_encoding_are_read_right(upload: Upload, shipped_model) -> None:
    digits = segment_digits(decode_image(upload.data, name=upload.name))
    assert len(digits) == 1
    probabilities = predict_probabilities(shipped_model, np.stack([found.preprocessed.model_input for found in digits]))
    assert int(probabilities[0].argmax()) == upload.digit


def test_corpus_covers_every_kind_once() -> None:
    names = [upload.name for upload in CORPUS]
    assert len(names) == len(set(names))
    assert all((upload.digit is None) != (upload.error_words is None) for upload in CORPUS)
