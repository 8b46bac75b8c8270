"""The kept-digits store: created on first use, migrated, safe under concurrent and killed writers, clear on bad files."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from core.kept_digits import (
    APPLICATION_ID,
    DEFAULT_FILE_NAME,
    KEPT_DIGITS_ENV_VAR,
    MAX_ORIGINAL_SIDE,
    MIGRATIONS,
    SCHEMA_VERSION,
    KeptDigitStore,
    KeptDigitStoreError,
    NewKeptDigit,
    default_store_path,
    open_store,
    png_bytes,
)
from core.mode import DemoModeRefusal, Mode
from core.uncertainty import Verdict

ORIGINAL = png_bytes(np.zeros((12, 10), np.uint8))


def new_digit(label: int = 3, answer: str = "3", writer: str = "", seed: int = 0) -> NewKeptDigit:
    """A digit to keep with a random input (seeded, so tests can compare it)."""
    model_input = np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)
    return NewKeptDigit(label, model_input, ORIGINAL, "run-a", answer, 0.75, writer)


def _pragma(path: Path, name: str):
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        connection.close()


def test_reading_creates_nothing_and_the_first_write_creates_the_file(tmp_path):
    path = tmp_path / "deep" / "kept.sqlite3"
    store = open_store(path)
    assert store.list() == [] and store.label_counts() == dict.fromkeys(range(10), 0) and store.writers() == []
    assert not path.exists()

    store.add(new_digit())
    assert path.is_file()
    assert _pragma(path, "user_version") == SCHEMA_VERSION == len(MIGRATIONS)
    assert _pragma(path, "application_id") == APPLICATION_ID
    assert _pragma(path, "journal_mode") == "wal"


def test_the_default_file_is_beside_the_run_store_unless_the_variable_names_one(tmp_path, monkeypatch):
    monkeypatch.delenv(KEPT_DIGITS_ENV_VAR)
    monkeypatch.setenv("DIGIT_LAB_RUNS", str(tmp_path / "runs"))
    assert default_store_path() == tmp_path / "runs" / DEFAULT_FILE_NAME
    monkeypatch.setenv(KEPT_DIGITS_ENV_VAR, str(tmp_path / "elsewhere.db"))
    assert open_store().path == tmp_path / "elsewhere.db"


def test_an_older_schema_is_migrated_and_keeps_its_digits(tmp_path):
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0].split(";"):  # a database as the first version left it
        if statement.strip():
            connection.execute(statement)
    connection.execute("PRAGMA user_version = 1")
    connection.execute(
        "INSERT INTO kept_digits (label, model_input, original_png, run_id, answer, confidence, kept_at, writer)"
        " VALUES (4, ?, ?, 'old-run', '9', 0.5, '2026-01-01T00:00:00+00:00', 'ann')",
        (bytes(range(256)) * 3 + bytes(16), ORIGINAL),
    )
    connection.close()

    store = open_store(path)

    assert _pragma(path, "user_version") == SCHEMA_VERSION
    indexes = sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    assert {"kept_digits_by_label", "kept_digits_by_writer"} <= {name for (name,) in indexes}
    [old] = store.list()
    assert (old.label, old.answer, old.writer, old.run_id) == (4, "9", "ann", "old-run")
    assert not old.model_was_right


def _add_digits(path: str, writer: str, count: int, start) -> None:
    store = KeptDigitStore(Path(path))
    start.wait(30)
    for number in range(count):
        store.add(new_digit(label=number % 10, writer=writer, seed=number))


def test_writers_in_several_processes_all_land(tmp_path):
    """They start at once on a file none has created yet: creating and migrating it is raced too."""
    path = tmp_path / "kept.sqlite3"
    context = multiprocessing.get_context("fork")
    start = context.Event()
    writers = [context.Process(target=_add_digits, args=(str(path), f"writer-{n}", 15, start)) for n in range(4)]
    for process in writers:
        process.start()
    start.set()
    for process in writers:
        process.join(120)
    assert [process.exitcode for process in writers] == [0, 0, 0, 0]

    store = open_store(path)
    assert len(store.list()) == 60
    assert store.writers() == [f"writer-{n}" for n in range(4)]
    assert all(len(store.list(writer=f"writer-{n}")) == 15 for n in range(4))


def _add_until_killed(path: str, log: str) -> None:
    """Keeps digits without end, logging each id once its transaction has committed."""
    store = KeptDigitStore(Path(path))
    with open(log, "a", encoding="utf-8") as committed:
        for number in range(1_000_000):
            digit_id = store.add(new_digit(label=number % 10, seed=number % 50))
            committed.write(f"{digit_id}\n")
            committed.flush()


def test_a_writer_killed_mid_writes_leaves_an_intact_database_with_every_committed_digit(tmp_path):
    path, log = tmp_path / "kept.sqlite3", tmp_path / "committed.txt"
    writer = multiprocessing.get_context("fork").Process(target=_add_until_killed, args=(str(path), str(log)))
    writer.start()
    deadline = time.monotonic() + 30
    while (not log.exists() or len(log.read_text().split()) < 30) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(writer.pid, signal.SIGKILL)
    writer.join(10)
    assert writer.exitcode == -signal.SIGKILL

    committed = {int(line) for line in log.read_text().split()}
    assert len(committed) >= 30
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {digit.digit_id for digit in open_store(path).list()}
    assert committed <= stored and len(stored - committed) <= 1  # at most the digit whose id was not logged yet


def test_a_file_that_is_not_sqlite_is_reported_with_its_path_and_what_to_do(tmp_path):
    path = tmp_path / "kept.sqlite3"
    path.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(KeptDigitStoreError, match="not a readable database") as raised:
        open_store(path)
    assert str(path) in str(raised.value) and KEPT_DIGITS_ENV_VAR in str(raised.value)
    with pytest.raises(KeptDigitStoreError):
        KeptDigitStore(path).add(new_digit())
    assert path.read_bytes().startswith(b"this is not a database")  # left as it was


def test_another_programs_sqlite_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "kept.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (amount REAL)")
    connection.commit()
    connection.close()
    with pytest.raises(KeptDigitStoreError, match="another program"):
        open_store(path)
    with pytest.raises(KeptDigitStoreError, match="another program"):
        KeptDigitStore(path).add(new_digit())
    assert _pragma(path, "journal_mode") == "delete" and _pragma(path, "user_version") == 0


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "kept.sqlite3"
    KeptDigitStore(path).add(new_digit())
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(KeptDigitStoreError, match="newer Digit Lab"):
        open_store(path)


def test_filters_counts_relabel_and_delete(tmp_path):
    store = open_store(tmp_path / "kept.sqlite3")
    right = store.add(new_digit(label=3, answer="3", writer="ann"))
    wrong = store.add(new_digit(label=7, answer="1", writer="bob"))
    unsure = store.add(new_digit(label=7, answer="?"))

    assert [digit.digit_id for digit in store.list()] == [right, wrong, unsure]
    assert [digit.digit_id for digit in store.list(label=7)] == [wrong, unsure]
    assert [digit.digit_id for digit in store.list(model_wrong=True)] == [wrong, unsure]
    assert [digit.digit_id for digit in store.list(writer="")] == [unsure]
    assert [digit.digit_id for digit in store.list(label=7, model_wrong=True, writer="bob")] == [wrong]
    assert store.writers() == ["", "ann", "bob"]
    assert store.label_counts()[7] == 2 and store.label_counts()[3] == 1
    assert store.get(unsure).answer_text == "not sure"

    store.relabel(wrong, 1)
    assert store.get(wrong).label == 1 and store.get(wrong).model_was_right
    assert [digit.digit_id for digit in store.list(model_wrong=True)] == [unsure]
    store.delete(right)
    store.delete(right)  # already gone: no error
    with pytest.raises(ValueError, match=f"No kept digit #{right}"):
        store.get(right)
    with pytest.raises(ValueError, match="No kept digit"):
        store.relabel(right, 2)
    with pytest.raises(ValueError, match="0-9"):
        store.relabel(wrong, 10)
    assert store.label_counts() == {**dict.fromkeys(range(10), 0), 1: 1, 7: 1}


def test_training_arrays_are_the_model_inputs_in_the_order_kept(tmp_path):
    store = open_store(tmp_path / "kept.sqlite3")
    images, labels = store.training_arrays()
    assert images.shape == (0, 28, 28) and images.dtype == np.float32 and labels.shape == (0,) and labels.dtype == np.uint8
    for seed, (label, writer) in enumerate([(5, "ann"), (0, "bob"), (9, "ann")]):
        store.add(new_digit(label=label, writer=writer, seed=seed))

    images, labels = store.training_arrays()
    assert images.shape == (3, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.tolist() == [5, 0, 9] and labels.dtype == np.uint8
    np.testing.assert_array_equal(np.rint(images[1] * 255).astype(np.uint8), new_digit(seed=1).model_input)
    ann_images, ann_labels = store.training_arrays(writer="ann")
    assert ann_labels.tolist() == [5, 9] and ann_images.shape == (2, 28, 28)


def test_a_digit_from_an_answer_keeps_what_the_model_saw_said_and_how_sure(tmp_path):
    model_input = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28)
    drawing = np.zeros((2000, 1000, 4), np.uint8)  # bigger than what is kept of an original
    verdict = Verdict(digit=None, confidence=1.0000001, runner_up=2, runner_up_probability=0.0, not_a_digit=True)
    store = open_store(tmp_path / "kept.sqlite3")

    digit_id = store.add(NewKeptDigit.from_answer(6, model_input, drawing, "run-b", verdict, "  Ann  "))

    kept = store.get(digit_id)
    assert (kept.label, kept.answer, kept.answer_text, kept.confidence, kept.writer, kept.run_id) == (
        6, "-", "not a digit", 1.0, "Ann", "run-b",
    )
    assert np.abs(kept.model_input / 255.0 - model_input).max() <= 1 / 510 + 1e-6
    from PIL import Image
    import io

    assert Image.open(io.BytesIO(store.original_png(digit_id))).size == (MAX_ORIGINAL_SIDE // 2, MAX_ORIGINAL_SIDE)


@pytest.mark.parametrize(
    "field, value, message",
    [("label", 10, "label"), ("answer", "x", "answer"), ("confidence", 1.5, "confidence"), ("kept_at", "yesterday", "isoformat")],
)
def test_a_digit_with_a_wrong_field_is_refused_before_anything_is_written(tmp_path, field, value, message):
    fields = {"label": 3, "model_input": np.zeros((28, 28), np.uint8), "original_png": ORIGINAL, "run_id": "r",
              "answer": "3", "confidence": 0.5, field: value}
    with pytest.raises(ValueError, match=message):
        NewKeptDigit(**fields)


def test_a_demo_server_refuses_every_change_and_creates_no_file(tmp_path):
    path = tmp_path / "kept.sqlite3"
    demo = KeptDigitStore(path, mode=Mode.DEMO)
    with pytest.raises(DemoModeRefusal, match="Keeping digits"):
        demo.add(new_digit())
    assert not path.exists()
    digit_id = KeptDigitStore(path).add(new_digit())
    with pytest.raises(DemoModeRefusal, match="Relabelling or deleting"):
        demo.relabel(digit_id, 5)
    with pytest.raises(DemoModeRefusal):
        demo.delete(digit_id)
    assert [(digit.digit_id, digit.label) for digit in demo.list()] == [(digit_id, 3)]


def test_several_digits_go_in_together_or_not_at_all(tmp_path):
    path = tmp_path / "kept.sqlite3"
    store = open_store(path)
    store.add(new_digit())
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TRIGGER no_sevens BEFORE INSERT ON kept_digits WHEN NEW.label = 7 BEGIN SELECT RAISE(ABORT, 'no sevens'); END"
    )
    connection.commit()
    connection.close()
    with pytest.raises(KeptDigitStoreError, match="no sevens"):
        store.add_many([new_digit(label=2), new_digit(label=7)])
    assert [digit.label for digit in store.list()] == [3]
