"""Tests for core.refit and `python -m core refit`: a run's "not a digit" output fitted again, its digits untouched."""

from __future__ import annotations

import dataclasses
import io
from types import SimpleNamespace

import numpy as np
import pytest

from core.cli import main as cli_main
from core.config import ELEVENTH_CLASS, ELEVENTH_CLASS_AFTER_TRAINING, TrainingConfig
from core.inference import predict_probabilities
from core.refit import check_refittable
from core.runs import RunStore
from core.training import train
from core.uncertainty import digit_probabilities, is_not_a_digit
from tests.not_a_digit_model import always_not_a_digit


def _run(**overrides) -> SimpleNamespace:
    config = TrainingConfig.for_architecture("fast", non_digits=ELEVENTH_CLASS_AFTER_TRAINING)
    return SimpleNamespace(run_id="r1", config=dataclasses.replace(config, **overrides))


def test_a_run_with_an_output_fitted_after_training_can_be_refitted():
    check_refittable(_run())  # raises if not


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"non_digits": ELEVENTH_CLASS}, "only a run trained with"), ({"kept_digits": True}, "kept digits")],
)
def test_runs_a_refit_cannot_serve_are_refused_with_the_reason(overrides, message):
    with pytest.raises(ValueError, match=message):
        check_refittable(_run(**overrides))


def test_the_command_refuses_an_unknown_run_without_a_traceback(tmp_path):
    err = io.StringIO()
    assert cli_main(["refit", "no-such-run", "--runs-dir", str(tmp_path), "--sample"], io.StringIO(), err) == 2
    assert err.getvalue().startswith("error: ") and "Traceback" not in err.getvalue()


@pytest.mark.slow
def test_a_refit_mends_a_broken_output_into_a_new_run_and_keeps_every_digit_output(sample_data, tmp_path):
    config = TrainingConfig.for_architecture(
        "fast", non_digits=ELEVENTH_CLASS_AFTER_TRAINING, epochs=1, train_size=1000, batch_size=64, seed=3,
        template_digits=True, uji_digits=True,
    )
    trained = train(config, sample_data)
    always_not_a_digit(trained.model)  # the output now says "not a digit" to everything
    store = RunStore(tmp_path, shipped_dir=None)
    broken = predict_probabilities(trained.model, sample_data.x_test)
    source = store.save(dataclasses.replace(trained, test_probabilities=broken))

    out = io.StringIO()
    assert cli_main(["refit", source.run_id, "--runs-dir", str(tmp_path), "--sample"], out, io.StringIO()) == 0
    fields = dict(field.split("=", 1) for field in out.getvalue().split())
    refitted = store.get(fields["run"])
    assert fields["source"] == source.run_id != refitted.run_id
    assert refitted.config == source.config and store.history(refitted.run_id) == store.history(source.run_id)
    assert is_not_a_digit(broken).all()
    after = predict_probabilities(store.load_model(refitted.run_id), sample_data.x_test)
    assert is_not_a_digit(after).mean() < 0.05
    np.testing.assert_allclose(digit_probabilities(after), digit_probabilities(trained.test_probabilities), atol=1e-4)
