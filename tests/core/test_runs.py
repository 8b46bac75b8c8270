"""Tests for core.runs: save/list/get/load round trip, atomic writes, broken runs, the default run, delete.

Runs are built from untrained models and made-up histories, so no test here trains.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import h5py
import numpy as np
import pytest

import keras
from keras import layers

from core import runs
from core.architectures import build_model
from core.config import TrainingConfig
from core.inference import predict_probabilities
from core.progress import EpochMetrics, RunStatus
from core.runs import (
    CONFIG_FILE,
    DEFAULT_FILE,
    DEFAULT_RUNS_DIR,
    HISTORY_FILE,
    LEGACY_DEFAULT_FILE,
    MODEL_FILE,
    PREDICTIONS_FILE,
    RUN_FILES,
    SHIPPED_RUN_DIR,
    SHIPPED_RUN_ID,
    STALE_TEMPORARY_SECONDS,
    SUMMARY_FILE,
    TEMPORARY_PREFIX,
    RunStore,
    default_runs_dir,
)
from core.training import TrainingResult
from core.uncertainty import DEFAULT_NOT_SURE_FLOOR, digit_probabilities


def make_history(epochs: int, *, last_complete: bool = True) -> tuple[EpochMetrics, ...]:
    return tuple(
        EpochMetrics(
            epoch=epoch,
            loss=1.0 / epoch,
            accuracy=0.5 + epoch / 100,
            val_loss=1.2 / epoch,
            val_accuracy=0.45 + epoch / 100,
            elapsed_s=3.0 * epoch,
            complete=last_complete or epoch < epochs,
            val_per_class_accuracy=tuple(0.4 + digit / 100 + epoch / 100 for digit in range(10)),
        )
        for epoch in range(1, epochs + 1)
    )


def make_result(
    architecture: str = "fast",
    *,
    status: RunStatus = RunStatus.COMPLETED,
    epochs: int = 2,
    seed: int = 0,
    history: tuple[EpochMetrics, ...] | None = None,
    classes: int = 10,
) -> TrainingResult:
    """A TrainingResult with an untrained model and made-up scores: everything save() needs."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    return TrainingResult(
        model=build_model(architecture, classes),
        config=TrainingConfig.for_architecture(architecture, epochs=epochs, seed=seed),
        history=history if history is not None else make_history(epochs),
        test_probabilities=rng.dirichlet(np.ones(classes), size=50).astype(np.float32),  # (50, classes)
        test_accuracy=0.4242,
        duration_s=12.5,
        status=status,
        data_source="sample",
        not_sure_floor=0.61,
        temperature=1.37,
    )


@pytest.fixture()
def store(runs_dir) -> RunStore:
    """A store on an empty folder, with no shipped model."""
    return RunStore(runs_dir, shipped_dir=None)


@pytest.fixture()
def shipped_dir(tmp_path) -> Path:
    """A shipped run made the way it is made for real: saved by a store, then moved into place."""
    source = RunStore(tmp_path / "shipped_source", shipped_dir=None)
    record = source.save(make_result("fast", seed=99))
    target = tmp_path / "assets" / "shipped_run"
    target.parent.mkdir()
    shutil.move(str(record.path), str(target))
    return target


def entries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# ----------------------------------------------------------------------------- round trip


def test_save_then_read_everything_back(store, runs_dir, sample_data):
    result = make_result("fast", status=RunStatus.STOPPED, history=make_history(3, last_complete=False))
    record = store.save(result)

    assert record.path == runs_dir / record.run_id
    assert sorted(entries(record.path)) == sorted(RUN_FILES)
    assert entries(runs_dir) == [record.run_id]  # no temporary folder left behind
    assert record.run_id.endswith("-fast")
    assert record.config == result.config
    assert record.status == "stopped"
    assert record.test_accuracy == pytest.approx(0.4242)
    assert record.duration_s == pytest.approx(12.5)
    assert record.parameter_count == result.model.count_params()
    assert record.epochs_completed == 2  # the cut-short third epoch does not count
    assert record.data_source == "sample"
    assert record.shipped is False
    created = datetime.fromisoformat(record.created_at)
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(created.tzinfo) - created) < timedelta(minutes=5)
    assert record.run_id in record.label and "fast" in record.label and "42.42%" in record.label

    assert store.list_runs() == [record]
    assert store.get(record.run_id) == record
    assert store.history(record.run_id) == list(result.history)
    stored = store.test_probabilities(record.run_id)
    assert stored.dtype == np.float32
    np.testing.assert_array_equal(stored, result.test_probabilities)

    model = store.load_model(record.run_id)
    images = sample_data.x_test[:8]  # (8, 28, 28) uint8
    np.testing.assert_allclose(
        predict_probabilities(model, images), predict_probabilities(result.model, images), atol=1e-6
    )
    assert [layer.name for layer in model.layers] == [layer.name for layer in result.model.layers]


def test_a_new_store_on_the_same_folder_sees_the_runs(store, runs_dir):
    record = store.save(make_result())
    assert RunStore(runs_dir, shipped_dir=None).get(record.run_id) == record


def test_a_history_saved_before_per_class_accuracy_still_loads(store):
    record = store.save(make_result())
    saved = json.loads((record.path / HISTORY_FILE).read_text())
    for metrics in saved:
        del metrics["val_per_class_accuracy"]
    (record.path / HISTORY_FILE).write_text(json.dumps(saved))
    history = store.history(record.run_id)
    assert [metrics.val_accuracy for metrics in history] == pytest.approx([0.46, 0.47])
    assert all(metrics.val_per_class_accuracy == () for metrics in history)


def test_non_finite_history_values_survive_the_round_trip(store):
    # A diverged run's history holds NaN and inf; listing and curves must still read it.
    history = (EpochMetrics(1, math.nan, 0.1, math.inf, 0.1, 1.0, False),)
    record = store.save(make_result(status=RunStatus.DIVERGED, history=history, epochs=1))
    (metrics,) = store.history(record.run_id)
    assert math.isnan(metrics.loss) and metrics.val_loss == math.inf
    assert store.get(record.run_id).status == "diverged"


def test_runs_list_newest_first(store):
    architectures = ["fast", "seed", "fast", "fast"]
    saved = [store.save(make_result(architecture, seed=index)) for index, architecture in enumerate(architectures)]
    assert len({record.run_id for record in saved}) == 4  # same second, same architecture: still unique ids
    assert [record.run_id for record in store.list_runs()] == [record.run_id for record in reversed(saved)]


def test_shipped_run_is_listed_last(runs_dir, shipped_dir):
    store = RunStore(runs_dir, shipped_dir=shipped_dir)
    first = store.save(make_result("seed"))
    second = store.save(make_result("fast"))
    listed = store.list_runs()
    assert [record.run_id for record in listed] == [second.run_id, first.run_id, SHIPPED_RUN_ID]
    shipped = listed[-1]
    assert shipped.shipped is True and shipped.path == shipped_dir
    assert store.get(SHIPPED_RUN_ID) == shipped
    assert store.load_model(SHIPPED_RUN_ID).name == "fast"
    assert len(store.history(SHIPPED_RUN_ID)) == 2
    assert store.broken_runs() == []


def test_a_missing_shipped_folder_is_ignored(runs_dir, tmp_path):
    store = RunStore(runs_dir, shipped_dir=tmp_path / "no_such_folder")
    assert store.shipped_dir is None
    assert store.list_runs() == []
    with pytest.raises(ValueError):
        store.get(SHIPPED_RUN_ID)


def test_store_creates_its_folder(tmp_path):
    root = tmp_path / "deep" / "runs"
    RunStore(root, shipped_dir=None)
    assert root.is_dir()


def test_default_runs_dir_follows_the_environment(runs_dir, monkeypatch):
    assert default_runs_dir() == runs_dir
    monkeypatch.delenv(runs.RUNS_ENV_VAR)
    assert default_runs_dir() == DEFAULT_RUNS_DIR


# ----------------------------------------------------------------------------- atomic save


def fail_on_summary(real_write_json):
    def write_json(path: Path, value) -> None:
        if path.name == SUMMARY_FILE:
            raise OSError(28, "No space left on device")
        real_write_json(path, value)

    return write_json


def raise_disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")


def raise_interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "target, name, make_replacement, error",
    [
        (np, "savez_compressed", lambda real: raise_disk_full, OSError),
        (runs, "_write_json", fail_on_summary, OSError),
        (os, "rename", lambda real: raise_disk_full, OSError),
        (np, "savez_compressed", lambda real: raise_interrupt, KeyboardInterrupt),
    ],
    ids=["predictions", "summary", "rename", "interrupted"],
)
def test_a_failed_save_leaves_nothing_behind(store, runs_dir, monkeypatch, target, name, make_replacement, error):
    kept = store.save(make_result("seed"))
    monkeypatch.setattr(target, name, make_replacement(getattr(target, name)))
    with pytest.raises(error):
        store.save(make_result("fast"))
    monkeypatch.undo()

    assert entries(runs_dir) == [kept.run_id]  # neither a run folder nor a temporary folder
    assert store.list_runs() == [kept]
    assert store.broken_runs() == []


def test_a_stale_temporary_is_removed_and_a_fresh_one_kept(runs_dir):
    runs_dir.mkdir(parents=True)
    stale = runs_dir / f"{TEMPORARY_PREFIX}20240101-000000-fast-0badc0de"
    fresh = runs_dir / f"{TEMPORARY_PREFIX}20240101-000001-fast-0000beef"
    stale_file = runs_dir / f"{TEMPORARY_PREFIX}{DEFAULT_FILE}.0123456789abcdef"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / CONFIG_FILE).write_text("{}", encoding="utf-8")
    stale_file.write_text("{}", encoding="utf-8")
    long_ago = time.time() - STALE_TEMPORARY_SECONDS - 60
    for path in (stale, stale_file):
        os.utime(path, (long_ago, long_ago))

    store = RunStore(runs_dir, shipped_dir=None)

    assert not stale.exists()
    assert not stale_file.exists()
    assert fresh.is_dir()  # a save under way in another process must not be pulled from under it
    assert store.list_runs() == [] and store.broken_runs() == []


# ----------------------------------------------------------------------------- broken runs


def test_broken_runs_are_reported_not_listed(store, runs_dir):
    good = store.save(make_result("fast", seed=1))
    missing_file = store.save(make_result("fast", seed=2))
    corrupt_summary = store.save(make_result("fast", seed=3))
    missing_key = store.save(make_result("fast", seed=4))
    (missing_file.path / PREDICTIONS_FILE).unlink()
    (corrupt_summary.path / SUMMARY_FILE).write_text("{not json", encoding="utf-8")
    summary = json.loads((missing_key.path / SUMMARY_FILE).read_text(encoding="utf-8"))
    del summary["test_accuracy"]
    (missing_key.path / SUMMARY_FILE).write_text(json.dumps(summary), encoding="utf-8")
    (runs_dir / "Not A Run").mkdir()  # not a run id: neither listed nor broken

    assert store.list_runs() == [good]
    broken = {run.run_id: run for run in store.broken_runs()}
    assert set(broken) == {missing_file.run_id, corrupt_summary.run_id, missing_key.run_id}
    assert PREDICTIONS_FILE in broken[missing_file.run_id].reason
    assert SUMMARY_FILE in broken[corrupt_summary.run_id].reason
    assert "test_accuracy" in broken[missing_key.run_id].reason
    assert broken[missing_file.run_id].path == missing_file.path

    for run_id in broken:
        with pytest.raises(ValueError, match="broken"):
            store.get(run_id)
        with pytest.raises(ValueError):
            store.load_model(run_id)

    # A broken run can still be deleted, which is how the UI clears it.
    store.delete(missing_file.run_id)
    assert missing_file.run_id not in {run.run_id for run in store.broken_runs()}


def test_get_unknown_run(store):
    store.save(make_result())
    for run_id in ("20990101-000000-fast", "nope", "", "../runs", "Fast"):
        with pytest.raises(ValueError, match="no run named"):
            store.get(run_id)


# ----------------------------------------------------------------------------- the default run


def test_default_run_with_nothing_saved(store):
    assert store.default_run_id() is None


def test_default_run_falls_back_to_the_newest(store):
    store.save(make_result("seed"))
    newest = store.save(make_result("fast"))
    assert store.default_run_id() == newest.run_id


def test_a_diverged_run_never_becomes_the_default_by_itself(store):
    usable = store.save(make_result("seed"))
    store.save(make_result("fast", status=RunStatus.DIVERGED))
    assert store.default_run_id() == usable.run_id


def test_set_default_is_remembered_by_every_store(store, runs_dir):
    older = store.save(make_result("seed"))
    store.save(make_result("fast"))
    store.set_default(older.run_id)
    assert store.default_run_id() == older.run_id
    assert RunStore(runs_dir, shipped_dir=None).default_run_id() == older.run_id
    assert not [name for name in entries(runs_dir) if name.startswith(TEMPORARY_PREFIX)]


def test_set_default_refuses_unknown_runs(store):
    record = store.save(make_result())
    store.set_default(record.run_id)
    with pytest.raises(ValueError):
        store.set_default("20990101-000000-fast")
    assert store.default_run_id() == record.run_id


def test_deleted_default_run_falls_back_to_the_newest(store):
    older = store.save(make_result("seed"))
    newer = store.save(make_result("fast"))
    store.set_default(newer.run_id)
    store.delete(newer.run_id)
    assert store.default_run_id() == older.run_id
    store.delete(older.run_id)
    assert store.default_run_id() is None


def test_deleted_default_run_falls_back_to_the_shipped_one(runs_dir, shipped_dir):
    store = RunStore(runs_dir, shipped_dir=shipped_dir)
    assert store.default_run_id() == SHIPPED_RUN_ID
    record = store.save(make_result())
    store.set_default(record.run_id)
    assert store.default_run_id() == record.run_id
    store.delete(record.run_id)
    assert store.default_run_id() == SHIPPED_RUN_ID


def test_corrupt_default_file_falls_back(store, runs_dir):
    record = store.save(make_result())
    (runs_dir / DEFAULT_FILE).write_text("[1, 2", encoding="utf-8")
    assert store.default_run_id() == record.run_id


def test_a_store_written_before_the_rename_keeps_its_choice_until_the_next(store, runs_dir):
    older = store.save(make_result("seed"))
    newer = store.save(make_result("fast"))
    (runs_dir / LEGACY_DEFAULT_FILE).write_text(json.dumps({"run_id": older.run_id}), encoding="utf-8")
    assert store.default_run_id() == older.run_id
    store.set_default(newer.run_id)
    assert store.default_run_id() == newer.run_id
    assert not (runs_dir / LEGACY_DEFAULT_FILE).exists()


# ----------------------------------------------------------------------------- delete


def test_delete_removes_the_run(store, runs_dir):
    kept = store.save(make_result("seed"))
    doomed = store.save(make_result("fast"))
    store.delete(doomed.run_id)
    assert entries(runs_dir) == [kept.run_id]
    assert store.list_runs() == [kept]
    with pytest.raises(ValueError):
        store.get(doomed.run_id)


def test_delete_refuses_the_shipped_run(runs_dir, shipped_dir):
    store = RunStore(runs_dir, shipped_dir=shipped_dir)
    with pytest.raises(ValueError, match="shipped"):
        store.delete(SHIPPED_RUN_ID)
    assert (shipped_dir / MODEL_FILE).is_file()


@pytest.mark.parametrize(
    "run_id", ["20990101-000000-fast", "../victim", "..", ".", "/tmp", "a/b", ".tmp-x", "", "victim/"]
)
def test_delete_refuses_unknown_ids_and_path_tricks(store, runs_dir, run_id):
    victim = runs_dir.parent / "victim"
    victim.mkdir()
    (victim / SUMMARY_FILE).write_text("{}", encoding="utf-8")
    record = store.save(make_result())
    with pytest.raises(ValueError):
        store.delete(run_id)
    assert (victim / SUMMARY_FILE).is_file()
    assert store.list_runs() == [record]


# ----------------------------------------------------------------------------- the model file


def test_an_eleven_output_run_gives_the_analysis_pages_digits_only(store):
    result = make_result(classes=11)
    record = store.save(result)
    stored = store.test_probabilities(record.run_id)
    assert stored.shape == (50, 10)  # confusion, calibration and misclassified are about the ten digits
    np.testing.assert_allclose(stored, digit_probabilities(result.test_probabilities), rtol=1e-6)
    assert store.load_model(record.run_id).output_shape == (None, 11)


def test_saved_model_carries_no_optimizer_state(store, tmp_path):
    result = make_result("fast")
    # Give the model what a trained one has: a compiled optimizer with its slot variables built.
    result.model.compile(optimizer="adam", loss="categorical_crossentropy")
    result.model.train_on_batch(np.zeros((4, 28, 28, 1), np.float32), np.eye(10, dtype=np.float32)[:4])
    with_optimizer = tmp_path / "with_optimizer.keras"
    result.model.save(with_optimizer)

    record = store.save(result)
    saved = record.path / MODEL_FILE
    # Adam keeps two slots per weight, so the stripped file is about a third of the size.
    assert saved.stat().st_size < 0.6 * with_optimizer.stat().st_size
    with zipfile.ZipFile(saved) as archive:
        assert not json.loads(archive.read("config.json")).get("compile_config")
        with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
            assert "layers" in weights and "optimizer" not in weights
    assert getattr(keras.models.load_model(saved), "optimizer", None) is None


def test_loading_uses_safe_mode(store):
    record = store.save(make_result())
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Flatten()(inputs)
    x = layers.Lambda(lambda tensor: tensor * 2.0, name="arbitrary_code")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    path = record.path / MODEL_FILE
    keras.Model(inputs, outputs).save(path)

    with pytest.raises(ValueError, match="Lambda"):
        store.load_model(record.run_id)
    # The file itself is fine: only safe mode refuses it.
    assert keras.models.load_model(path, safe_mode=False, compile=False) is not None


def test_loading_a_damaged_model_file_raises_value_error(store):
    record = store.save(make_result())
    (record.path / MODEL_FILE).write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match="could not be loaded"):
        store.load_model(record.run_id)


def test_history_file_is_plain_json(store):
    # Runs are meant to be readable by hand and by other tools.
    record = store.save(make_result())
    history = json.loads((record.path / HISTORY_FILE).read_text(encoding="utf-8"))
    assert [item["epoch"] for item in history] == [1, 2]
    assert json.loads((record.path / CONFIG_FILE).read_text(encoding="utf-8"))["architecture"] == "fast"


@pytest.mark.skipif(not SHIPPED_RUN_DIR.is_dir(), reason="no shipped model in this checkout")
def test_the_real_shipped_run_reads_and_loads(runs_dir):
    store = RunStore(runs_dir)  # the default shipped folder
    assert [record.run_id for record in store.list_runs()] == [SHIPPED_RUN_ID]
    assert store.default_run_id() == SHIPPED_RUN_ID
    record = store.get(SHIPPED_RUN_ID)
    assert record.shipped and record.status == "completed" and record.status is RunStatus.COMPLETED
    assert 0.9 < record.test_accuracy <= 1
    assert record.not_sure_floor != DEFAULT_NOT_SURE_FLOOR  # the fitted floor, read from summary.json
    history = store.history(SHIPPED_RUN_ID)
    assert sum(metrics.complete for metrics in history) == record.epochs_completed
    probabilities = store.test_probabilities(SHIPPED_RUN_ID)
    assert probabilities.shape[1] == 10
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-3)
    model = store.load_model(SHIPPED_RUN_ID)  # safe mode
    assert model.name == record.config.architecture
    assert model.count_params() == record.parameter_count


def test_fitted_floor_and_temperature_round_trip_and_default_for_old_runs(store):
    record = store.save(make_result())
    assert record.not_sure_floor == pytest.approx(0.61)
    assert record.temperature == pytest.approx(1.37)
    summary_path = record.path / "summary.json"
    summary = json.loads(summary_path.read_text())
    del summary["not_sure_floor"], summary["temperature"]  # a run saved before either was fitted
    summary_path.write_text(json.dumps(summary))
    old = store.get(record.run_id)
    assert old.not_sure_floor == DEFAULT_NOT_SURE_FLOOR
    assert old.temperature == 1.0  # no scaling


def test_a_floor_saved_under_its_old_name_still_reads(store):
    record = store.save(make_result())
    summary_path = record.path / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["unsure_threshold"] = summary.pop("not_sure_floor")  # as runs saved before the rename
    summary_path.write_text(json.dumps(summary))
    assert store.get(record.run_id).not_sure_floor == pytest.approx(0.61)


def test_realworld_report_reads_the_recorded_figures(store):
    record = store.save(make_result())
    assert store.realworld_report(record.run_id) is None
    semeion = {"name": "semeion photo", "dataset": "semeion", "rendering": "photo", "n": 10, "correct": 9}
    (record.path / "realworld.json").write_text(json.dumps({"sets": [semeion]}))
    assert {item.name: item.accuracy for item in store.realworld_report(record.run_id).sets} == {"semeion photo": 0.9}
    (record.path / "realworld.json").write_text("{broken")
    assert store.realworld_report(record.run_id) is None


def test_model_file_to_use_prefers_the_given_model_then_the_default_run_then_the_shipped(store, tmp_path):
    from core.runs import SHIPPED_RUN_DIR, model_file_to_use

    record = store.save(make_result())
    assert model_file_to_use(record.path, store.root) == record.path / "model.keras"
    assert model_file_to_use(tmp_path / "x.keras", store.root) == tmp_path / "x.keras"
    store.set_default(record.run_id)
    assert model_file_to_use(None, store.root) == record.path / "model.keras"
    absent = tmp_path / "no-runs-here"
    assert model_file_to_use(None, absent) == SHIPPED_RUN_DIR / "model.keras"
    assert not absent.exists(), "choosing a model never creates the run folder"
