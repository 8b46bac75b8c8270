"""The Predict page meets every kind of upload in the corpus, one after another in one session."""

from __future__ import annotations

from tests.app.conftest import open_page
from tests.upload_corpus import build_corpus


def _predictions(app) -> list[str]:
    return [metric.value for metric in app.metric if metric.label == "Prediction"]


def test_every_upload_gets_its_message_or_an_answer_and_the_page_stays_usable(app_with_model, monkeypatch):
    # Every file twice within a minute: more than one visitor's upload rate, which tests/app/test_limits.py covers.
    monkeypatch.setattr("ui.limits.UPLOADS_PER_MINUTE", 1000)
    app = open_page("pages/Predict.py")
    corpus = build_corpus()
    for upload in corpus:
        app.file_uploader(key="predict_uploads").set_value((upload.name, upload.data, "application/octet-stream")).run()
        assert not app.exception, upload.name
        shown_errors = [error.value for error in app.error]
        if upload.error_words:
            assert len(shown_errors) == 1 and upload.error_words in shown_errors[0], (upload.name, shown_errors)
            assert _predictions(app) == [], upload.name
        else:
            assert shown_errors == [], (upload.name, shown_errors)
            assert len(_predictions(app)) == 1, upload.name
    # All at once: one answer per digit file, one message per bad file, in a single page.
    app.file_uploader(key="predict_uploads").set_value(
        [(upload.name, upload.data, "application/octet-stream") for upload in corpus]
    ).run()
    assert not app.exception
    assert len(app.error) == sum(1 for upload in corpus if upload.error_words)
    assert len(_predictions(app)) == sum(1 for upload in corpus if upload.digit is not None)
