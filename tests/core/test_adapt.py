"""Tests for core.adapt and its job: a tiny dense model adapted on a few sample digits, in seconds."""

from __future__ import annotations

import dataclasses
import io
import os
import time
from types import SimpleNamespace

import numpy as np
import pytest

import keras
from keras import layers

import core.kept_digits
from core.adapt import AdaptationRecipe, AdaptationReport, adapt, adaptation_config, check_kept_digits, held_back_split
from core.cli import main as cli_main
from core.config import ELEVENTH_CLASS, TrainingConfig
from core.default_model import DefaultRequest
from core.inference import predict_probabilities
from core.job_files import JobState, create_job, list_jobs, read_job, read_kept_digits
from core.job_runner import run_job
from core.jobs import TrainingJobs, launch_trainer_process
from core.mode import DemoModeRefusal, Mode
from core.non_digit_training import output_classes
from core.progress import EpochMetrics, RunStatus
from core.runs import RunRecord, RunStore
from core.training import MAX_KEPT_DIGIT_REPEATS, TrainingResult, train, with_kept_digits

TINY = AdaptationRecipe(steps=6, batch_size=16, kept_per_batch=8, learning_rate=0.01, distorted_copies=1)
PROCESS_TIMEOUT_S = 240  # a trainer process under a loaded test machine; it ends far sooner when quiet


def tiny_model(classes: int) -> keras.Model:
    inputs = keras.Input(shape=(28, 28, 1))
    outputs = layers.Dense(classes, activation="softmax", name="probabilities")(layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


def save_source(store: RunStore, data, non_digits: str = "none") -> RunRecord:
    """A tiny, briefly trained run to adapt from, saved as training saves one."""
    config = TrainingConfig.for_architecture("fast", epochs=1, non_digits=non_digits)
    model = tiny_model(output_classes(non_digits))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(data.x_train[:2000, ..., np.newaxis] / 255.0, data.y_train[:2000], epochs=1, verbose=0)
    probabilities = predict_probabilities(model, data.x_test)
    return store.save(TrainingResult(
        model=model, config=config, history=(EpochMetrics(1, 1.0, 0.8, 1.0, 0.8, 0.1, True),),
        test_probabilities=probabilities, test_accuracy=float(np.mean(probabilities.argmax(1) == data.y_test)),
        duration_s=0.1, status=RunStatus.COMPLETED, data_source=data.source, not_sure_floor=0.4, temperature=1.2,
    ))


def kept_digits(data, per_class: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` test digits of each class, as the model takes them: (n, 28, 28) float32 and (n,) labels."""
    index = np.concatenate([np.flatnonzero(data.y_test == label)[:per_class] for label in range(10)])
    return data.x_test[index].astype(np.float32) / 255.0, data.y_test[index]


@pytest.fixture()
def store(runs_dir) -> RunStore:
    return RunStore(runs_dir, shipped_dir=None)


# ---- the held-back split -------------------------------------------------------------------------


def test_the_held_back_share_is_taken_from_each_digit_and_repeats_for_a_seed():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 2 + [3])
    training, held_back = held_back_split(labels, seed=3)
    assert sorted(np.concatenate([training, held_back]).tolist()) == list(range(len(labels)))
    assert [int(np.sum(labels[held_back] == label)) for label in range(4)] == [2, 1, 1, 0]  # a lone 3 always trains
    again = held_back_split(labels, seed=3)
    assert again[1].tolist() == held_back.tolist()
    assert held_back_split(labels, seed=4)[1].tolist() != held_back.tolist()


def test_a_collection_that_cannot_be_adapted_to_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="no kept digits"):
        check_kept_digits(np.zeros((0, 28, 28), np.float32), np.zeros(0, np.uint8))
    with pytest.raises(ValueError, match="0-9"):
        check_kept_digits(np.zeros((1, 28, 28), np.float32), np.array([10]))
    with pytest.raises(ValueError, match="28, 28"):
        check_kept_digits(np.zeros((1, 20, 20), np.float32), np.array([1]))


# ---- adapting --------------------------------------------------------------------------------------


def test_adapting_learns_the_kept_digits_reports_its_figures_and_progress(store, sample_data):
    source = save_source(store, sample_data)
    images, labels = kept_digits(sample_data)
    shifted = (labels + 1) % 10  # labels no model would guess: only learning them can answer them
    config = adaptation_config(source, len(labels), seed=1, recipe=TINY)
    batches, epochs = [], []
    result = adapt(source, images, shifted, sample_data, config, recipe=dataclasses.replace(TINY, steps=40),
                   on_batch=batches.append, on_epoch=epochs.append)

    training, held_back = held_back_split(shifted, seed=1)
    report = result.adaptation
    assert report.source_run == source.run_id and report.kept_digits == 40 and report.held_back == len(held_back) == 10
    model_before = store.load_model(source.run_id)
    answers_before = predict_probabilities(model_before, images).argmax(1)
    answers_after = predict_probabilities(result.model, images).argmax(1)
    assert report.held_back_before == pytest.approx(np.mean(answers_before[held_back] == shifted[held_back]))
    assert report.held_back_after == pytest.approx(np.mean(answers_after[held_back] == shifted[held_back]))
    assert report.mnist_before == pytest.approx(source.test_accuracy)  # same model, same test set
    assert result.test_accuracy == report.mnist_after == pytest.approx(
        np.mean(result.test_probabilities.argmax(1) == sample_data.y_test))
    # The digits it trained on now answer their new labels; before, almost none did.
    assert np.mean(answers_after[training] == shifted[training]) > np.mean(answers_before[training] == shifted[training]) + 0.3
    assert [batch.batch for batch in batches] == list(range(1, 41))
    assert {batch.batches_per_epoch for batch in batches} == {40}
    assert len(epochs) == 1 and epochs[0].val_accuracy == report.held_back_after
    assert result.status == RunStatus.COMPLETED
    assert (result.not_sure_floor, result.temperature) == (source.not_sure_floor, source.temperature)


def test_an_eleven_output_model_adapts_and_keeps_its_not_a_digit_output(store, sample_data):
    source = save_source(store, sample_data, non_digits=ELEVENTH_CLASS)
    images, labels = kept_digits(sample_data, per_class=2)
    result = adapt(source, images, labels, sample_data, adaptation_config(source, len(labels), recipe=TINY), recipe=TINY)
    assert result.test_probabilities.shape == (len(sample_data.y_test), 11)
    assert result.config.non_digits == ELEVENTH_CLASS and result.adaptation.held_back == 10


def test_a_stop_request_ends_the_adaptation_early_and_it_is_still_reported(store, sample_data):
    source = save_source(store, sample_data)
    images, labels = kept_digits(sample_data, per_class=2)
    batches = []
    result = adapt(source, images, labels, sample_data, adaptation_config(source, len(labels), recipe=TINY),
                   recipe=TINY, on_batch=batches.append, should_stop=lambda: True)
    assert result.status == RunStatus.STOPPED and len(batches) == 1
    assert 0 <= result.adaptation.mnist_after <= 1


def test_the_adapted_run_is_saved_listed_with_its_origin_and_never_made_the_default(store, sample_data):
    source = save_source(store, sample_data)
    store.set_default(source.run_id)
    images, labels = kept_digits(sample_data, per_class=2)
    config = adaptation_config(source, len(labels), recipe=TINY)
    # Even a launcher that asks for "always" does not make an adapted run the default.
    folder = create_job(store.root, config, DefaultRequest.ALWAYS, (images, labels))
    outcome = run_job(
        folder, store, lambda: sample_data,
        adapter=lambda *arguments, **progress: adapt(*arguments, recipe=TINY, **progress),
    )
    adapted = store.get(outcome.run.run_id)
    assert adapted.run_id in [run.run_id for run in store.list_runs()]
    assert adapted.config.adapted_from == source.run_id and adapted.config.kept_digit_count == 20
    assert store.adaptation(adapted.run_id) == outcome.adaptation
    assert store.adaptation(source.run_id) is None
    assert not outcome.made_default and store.default_run_id() == source.run_id
    view = read_job(folder)
    assert view.record.state == JobState.DONE and view.record.made_default is False
    assert view.last_batch.batch == view.last_batch.batches_per_epoch == TINY.steps


def test_an_adaptation_job_runs_in_its_own_process_to_completion(store, sample_data, monkeypatch):
    monkeypatch.setenv("DIGIT_LAB_MNIST", "sample")  # the bundled sample: no download
    source = save_source(store, sample_data)
    images, labels = kept_digits(sample_data, per_class=3)
    folder = create_job(store.root, adaptation_config(source, len(labels)), DefaultRequest.NEVER, (images, labels))
    launch_trainer_process(folder)
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while read_job(folder).record.is_running and time.monotonic() < deadline:
        time.sleep(0.5)
    view = read_job(folder)
    assert view.record.state == JobState.DONE, folder.trainer_log_tail()
    assert view.record.pid is not None and view.record.pid != os.getpid()
    report = store.adaptation(view.record.run_id)
    assert report.source_run == source.run_id and report.kept_digits == 30
    assert view.history[-1].val_accuracy == report.held_back_after


# ---- launching from a server ---------------------------------------------------------------------------


def test_the_registry_copies_the_kept_digits_into_the_job_and_a_demo_server_refuses(store, sample_data):
    source = save_source(store, sample_data)
    images, labels = kept_digits(sample_data, per_class=1)
    writers = []

    def kept(writer):
        writers.append(writer)
        return images, labels

    launched = []
    jobs = TrainingJobs(store.root, launch=launched.append, kept_digits=kept)
    snapshot = jobs.adapt(source, writer="ana")
    assert writers == ["ana"] and snapshot.config.adapted_from == source.run_id
    stored_images, stored_labels = read_kept_digits(launched[0])
    assert np.array_equal(stored_images, images) and np.array_equal(stored_labels, labels)
    assert read_job(launched[0]).record.default_request == DefaultRequest.NEVER

    demo = TrainingJobs(store.root, launch=launched.append, mode=Mode.DEMO, kept_digits=kept)
    with pytest.raises(DemoModeRefusal, match="Adapting"):
        demo.adapt(source)
    assert len(list_jobs(store.root)) == 1


def test_a_full_training_that_includes_kept_digits_carries_them_and_their_count(store, sample_data):
    images, labels = kept_digits(sample_data, per_class=1)
    launched = []
    jobs = TrainingJobs(store.root, launch=launched.append, kept_digits=lambda writer: (images, labels))
    snapshot = jobs.start(TrainingConfig.for_architecture("fast", kept_digits=True))
    assert snapshot.config.kept_digit_count == 10 and snapshot.config.adapted_from is None
    assert np.array_equal(read_kept_digits(launched[0])[1], labels)
    other = TrainingJobs(store.root / "other", launch=launched.append, kept_digits=lambda writer: pytest.fail())
    other.start(TrainingConfig.for_architecture("fast"))
    assert read_kept_digits(launched[1]) is None


# ---- the command line ----------------------------------------------------------------------------------


def fake_kept_digit_store(monkeypatch, arrays=None, error: Exception | None = None) -> list:
    """Stands in for core.kept_digits (the other half of this feature), recording what it was asked."""
    asked = []

    def open_store(path=None):
        asked.append(("open", path))
        if error is not None:
            raise error
        return SimpleNamespace(training_arrays=lambda writer=None: asked.append(("writer", writer)) or arrays)

    monkeypatch.setattr(core.kept_digits, "open_store", open_store)  # the rest of the module stays for other importers
    return asked


def test_the_cli_adapts_and_prints_the_figures_and_the_new_run(store, sample_data, monkeypatch, tmp_path):
    source = save_source(store, sample_data)
    store.set_default(source.run_id)
    asked = fake_kept_digit_store(monkeypatch, kept_digits(sample_data, per_class=2))
    out, err = io.StringIO(), io.StringIO()
    status = cli_main(["adapt", "--run", source.run_id, "--runs-dir", str(store.root), "--sample",
                       "--kept-digits", str(tmp_path / "kept.sqlite"), "--writer", "ana"], out, err)
    assert status == 0, err.getvalue()
    assert asked == [("open", tmp_path / "kept.sqlite"), ("writer", "ana")]
    fields = dict(part.split("=", 1) for part in out.getvalue().split())
    report = store.adaptation(fields["run"])
    assert float(fields["held_back_before"]) == pytest.approx(report.held_back_before, abs=1e-5)
    assert float(fields["mnist_after"]) == pytest.approx(report.mnist_after, abs=1e-5)
    assert {"held_back_after", "mnist_before", "seconds"} <= fields.keys() and fields["kept_digits"] == "20"
    assert store.get(fields["run"]).config.adapted_from == source.run_id
    assert store.default_run_id() == source.run_id


def test_the_cli_reports_an_unusable_kept_digit_store_without_a_traceback(store, sample_data, monkeypatch):
    source = save_source(store, sample_data)
    fake_kept_digit_store(monkeypatch, error=ValueError("kept.sqlite is not a Digit Lab database"))
    out, err = io.StringIO(), io.StringIO()
    status = cli_main(["adapt", "--run", source.run_id, "--runs-dir", str(store.root), "--sample"], out, err)
    assert status == 1 and "not a Digit Lab database" in err.getvalue() and out.getvalue() == ""
    assert [run.run_id for run in store.list_runs()] == [source.run_id]


def test_the_report_round_trips_and_refuses_what_it_did_not_write():
    report = AdaptationReport("r1", 50, 10, 0.8, 0.95, 0.99, 0.989, 12.5)
    assert AdaptationReport.from_dict(report.to_dict()) == report
    with pytest.raises(ValueError, match="not an adaptation report"):
        AdaptationReport.from_dict({"source_run": "r1"})


# ---- a full training that includes kept digits -------------------------------------------------------


def test_kept_digits_join_the_training_digits_repeated_to_their_share():
    images, labels = np.zeros((1000, 28, 28), np.uint8), np.zeros(1000, np.uint8)
    kept, kept_labels = np.full((2, 28, 28), 0.5, np.float32), np.array([3, 7])
    joined, joined_labels = with_kept_digits(images, labels, kept, kept_labels)
    assert len(joined) == 1000 + 2 * 10  # 2% of 1,000 digits is 20: each kept digit 10 times
    assert np.all(joined[1000:] == 128) and sorted(joined_labels[1000:].tolist()) == [3] * 10 + [7] * 10
    many, _ = with_kept_digits(np.zeros((100_000, 28, 28), np.uint8), np.zeros(100_000, np.uint8), kept, kept_labels)
    assert len(many) == 100_000 + 2 * MAX_KEPT_DIGIT_REPEATS


def test_a_training_that_includes_kept_digits_refuses_to_start_without_them(sample_data):
    with pytest.raises(ValueError, match="kept digits"):
        train(TrainingConfig.for_architecture("fast", epochs=1, train_size=200, kept_digits=True), sample_data)
