"""Digits users kept or corrected on Predict, in an embedded SQLite database beside the run store.

One short connection per operation (WAL, a busy timeout, one transaction per write), so any number of
sessions and server processes can add at once, and a process killed mid-write loses at most its own
uncommitted digit. The schema is versioned (`PRAGMA user_version`) and migrated in order on first use.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from PIL import Image

from core.mnist_format import IMAGE_SIDE, NUM_CLASSES, as_stored_digits
from core.mode import Mode, SharedAction, refuse_in_demo
from core.runs import default_runs_dir
from core.uncertainty import NOT_A_DIGIT_LABEL, NOT_SURE_LABEL, Verdict

logger = logging.getLogger(__name__)

KEPT_DIGITS_ENV_VAR = "DIGIT_LAB_KEPT_DIGITS"
DEFAULT_FILE_NAME = "kept_digits.sqlite3"
APPLICATION_ID = 0x44474C42  # "DGLB" in the file header: tells our database from any other SQLite file
BUSY_TIMEOUT_S = 10.0
MAX_ORIGINAL_SIDE = 1024
"""An original drawing or crop is stored at most this big: enough to see it again, not a 12 MP photo per digit."""
MAX_WRITER_LENGTH = 60
ANSWERS = tuple(str(digit) for digit in range(NUM_CLASSES)) + (NOT_SURE_LABEL, NOT_A_DIGIT_LABEL)
"""What a model can have answered, as `core.uncertainty.Verdict.label` writes it."""

MIGRATIONS: tuple[str, ...] = (
    # 1: the collection
    f"""
    CREATE TABLE kept_digits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND {NUM_CLASSES - 1}),
        model_input BLOB NOT NULL CHECK (length(model_input) = {IMAGE_SIDE * IMAGE_SIDE}),
        original_png BLOB NOT NULL,
        run_id TEXT NOT NULL,
        answer TEXT NOT NULL,
        confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
        kept_at TEXT NOT NULL,
        writer TEXT NOT NULL DEFAULT ''
    );
    PRAGMA application_id = {APPLICATION_ID};
    """,
    # 2: My digits filters by label and by writer
    """
    CREATE INDEX kept_digits_by_label ON kept_digits (label);
    CREATE INDEX kept_digits_by_writer ON kept_digits (writer);
    """,
)
"""Migration n (1-based) takes a database from `user_version` n - 1 to n. Append only: never edit one shipped."""
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = "id, label, model_input, run_id, answer, confidence, kept_at, writer"  # all but the original


class KeptDigitStoreError(RuntimeError):
    """The kept-digits file cannot be used; the message names it, says what is wrong and what to do."""


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class NewKeptDigit:
    """A digit about to be kept: what `KeptDigitStore.add` stores."""

    label: int  # the true digit, as the user says
    model_input: np.ndarray  # (28, 28) uint8, white digit on black, as the model saw it
    original_png: bytes  # the drawing or the crop, PNG
    run_id: str  # the run that answered
    answer: str  # what it answered: one of ANSWERS
    confidence: float  # the answer's probability
    writer: str = ""
    kept_at: str = ""  # ISO 8601 UTC; empty: now

    def __post_init__(self) -> None:
        """Checks every field, so a wrong one is refused before any transaction starts.

        Raises:
            ValueError: a label outside 0..9, an unknown answer, a confidence outside [0, 1], an input
                that is not 28x28 uint8, or a time that is not ISO 8601.
        """
        if not isinstance(self.label, (int, np.integer)) or not 0 <= self.label < NUM_CLASSES:
            raise ValueError(f"the label must be a digit 0-9, not {self.label!r}")
        if self.answer not in ANSWERS:
            raise ValueError(f"the answer must be a digit, {NOT_SURE_LABEL!r} or {NOT_A_DIGIT_LABEL!r}, not {self.answer!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"the confidence must lie in [0, 1], not {self.confidence!r}")
        if self.model_input.shape != (IMAGE_SIDE, IMAGE_SIDE) or self.model_input.dtype != np.uint8:
            raise ValueError(f"the input must be {IMAGE_SIDE}x{IMAGE_SIDE} uint8, not {self.model_input.shape} {self.model_input.dtype}")
        if self.kept_at:
            datetime.fromisoformat(self.kept_at)  # raises ValueError
        object.__setattr__(self, "label", int(self.label))
        object.__setattr__(self, "confidence", float(self.confidence))
        object.__setattr__(self, "writer", self.writer.strip()[:MAX_WRITER_LENGTH])

    @classmethod
    def from_answer(
        cls, label: int, model_input: np.ndarray, original: np.ndarray, run_id: str, verdict: Verdict, writer: str = ""
    ) -> NewKeptDigit:
        """A digit from Predict's answer: `model_input` (28, 28) float32 in [0, 1], `original` uint8 pixels."""
        return cls(
            label=label,
            model_input=as_stored_digits(model_input),
            original_png=png_bytes(original),
            run_id=run_id,
            answer=verdict.label,
            confidence=min(verdict.confidence, 1.0),  # a float32 softmax can round past 1
            writer=writer,
        )


@dataclass(frozen=True, eq=False)
class KeptDigit:
    """A kept digit as stored (its original PNG is read apart: `KeptDigitStore.original_png`)."""

    digit_id: int
    label: int
    model_input: np.ndarray = field(repr=False)  # (28, 28) uint8, white digit on black
    run_id: str
    answer: str  # one of ANSWERS
    confidence: float
    kept_at: str  # ISO 8601 UTC
    writer: str

    @property
    def model_was_right(self) -> bool:
        """The model named the true digit ("not sure" and "not a digit" are not right)."""
        return self.answer == str(self.label)

    @property
    def answer_text(self) -> str:
        """The answer in words for a caption."""
        return {NOT_SURE_LABEL: "not sure", NOT_A_DIGIT_LABEL: "not a digit"}.get(self.answer, self.answer)


def default_store_path() -> Path:
    """`$DIGIT_LAB_KEPT_DIGITS`, else `kept_digits.sqlite3` in the run store's folder."""
    configured = os.environ.get(KEPT_DIGITS_ENV_VAR)
    return Path(configured).expanduser() if configured else default_runs_dir() / DEFAULT_FILE_NAME


def png_bytes(image: np.ndarray, max_side: int = MAX_ORIGINAL_SIDE) -> bytes:
    """A uint8 grey, RGB or RGBA picture as PNG, shrunk to at most `max_side` pixels on its longer side."""
    picture = Image.fromarray(np.ascontiguousarray(image))
    if max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _row_values(digit: NewKeptDigit) -> tuple[object, ...]:
    """The row to insert (the digit checked its fields when it was made)."""
    kept_at = digit.kept_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (
        digit.label, digit.model_input.tobytes(), bytes(digit.original_png), digit.run_id, digit.answer,
        digit.confidence, kept_at, digit.writer,
    )


def _kept_digit(row: tuple) -> KeptDigit:
    digit_id, label, model_input, run_id, answer, confidence, kept_at, writer = row
    return KeptDigit(
        digit_id=digit_id,
        label=label,
        model_input=np.frombuffer(model_input, np.uint8).reshape(IMAGE_SIDE, IMAGE_SIDE),
        run_id=run_id,
        answer=answer,
        confidence=confidence,
        kept_at=kept_at,
        writer=writer,
    )


def _migrate(connection: sqlite3.Connection, target: str) -> None:
    """Brings the schema to `SCHEMA_VERSION`, each migration in its own transaction.

    Another process may be migrating too: the version is read again under the write lock, which is
    taken only when the schema is behind, so an up-to-date file is read without locking it.
    """
    if connection.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    while True:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                connection.execute("COMMIT")
                return
            # executescript would commit first; run the migration's statements one by one inside ours.
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
            connection.execute("COMMIT")
            logger.debug("Kept digits at %s: schema %d -> %d", target, version, version + 1)
        except BaseException:
            if connection.in_transaction:  # a failed COMMIT may have ended it already
                connection.execute("ROLLBACK")
            raise


def _check_identity(connection: sqlite3.Connection, path: Path) -> None:
    """Refuses a file that is not a database of kept digits this code can read.

    Raises:
        KeptDigitStoreError: another program's SQLite database, or one written by a newer Digit Lab.
        sqlite3.DatabaseError: the file is not SQLite at all.
    """
    # One read transaction: read apart, the three could straddle another process's first migration.
    connection.execute("BEGIN")
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    finally:
        connection.execute("COMMIT")
    if application_id != APPLICATION_ID and (tables or version):
        raise KeptDigitStoreError(
            f"{path} is an SQLite database of another program, not Digit Lab's kept digits. Move it away, "
            f"or point ${KEPT_DIGITS_ENV_VAR} at another file; a new collection is then started there."
        )
    if version > SCHEMA_VERSION:
        raise KeptDigitStoreError(
            f"{path} was written by a newer Digit Lab (schema {version}; this one reads up to {SCHEMA_VERSION}). "
            f"Update Digit Lab, or point ${KEPT_DIGITS_ENV_VAR} at another file."
        )


def _explain(error: sqlite3.DatabaseError, path: Path) -> str:
    """What to tell the user about an SQLite error on the kept-digits file."""
    text = str(error)
    if isinstance(error, sqlite3.IntegrityError):
        return f"The kept digits at {path} refused the change ({text}); nothing was written."
    if isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return f"The kept digits at {path} stayed busy for {BUSY_TIMEOUT_S:.0f} s (another session is writing). Try again."
    if isinstance(error, sqlite3.OperationalError) and ("readonly" in text or "disk" in text or "open" in text):
        return f"Cannot write the kept digits at {path} ({text}). Check the folder's permissions and free space."
    return (
        f"{path} is not a readable database of kept digits ({text}). Move the file away (keep it if you "
        f"want to try repairing it), or point ${KEPT_DIGITS_ENV_VAR} at another file."
    )


class KeptDigitStore:
    """The collection of kept digits in one SQLite file; opens a short connection for every operation.

    `mode` is the server's: a demo server's store refuses every write (`core.mode`).
    """

    def __init__(self, path: Path, mode: Mode = Mode.NORMAL) -> None:
        self.path = path
        self.mode = mode

    @contextlib.contextmanager
    def _connection(self, *, create: bool) -> Iterator[sqlite3.Connection]:
        """A connection to the file, checked and migrated; with `create`, the file is made when missing.

        Reading a missing file reads an empty in-memory collection instead: looking never creates files.

        Raises:
            KeptDigitStoreError: the file is corrupt, foreign, newer, or cannot be opened or created.
        """
        missing = not self.path.exists()
        if missing and not create:
            target = ":memory:"
        else:
            target = str(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise KeptDigitStoreError(f"Cannot create the folder for kept digits {self.path.parent}: {error}") from error
        try:
            connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as error:
            raise KeptDigitStoreError(f"Cannot open the kept digits at {self.path}: {error}") from error
        try:
            _check_identity(connection, self.path)
            if connection.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
                connection.execute("PRAGMA journal_mode = WAL")
            _migrate(connection, target)
            yield connection
        except sqlite3.DatabaseError as error:
            logger.warning("Kept digits at %s unusable: %s", self.path, error)  # expected bad input: no traceback
            raise KeptDigitStoreError(_explain(error, self.path)) from error
        finally:
            connection.close()

    @contextlib.contextmanager
    def _writing(self, action: SharedAction) -> Iterator[sqlite3.Connection]:
        """A connection inside one write transaction, committed on success, rolled back on any error."""
        refuse_in_demo(self.mode, action)
        with self._connection(create=True) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:  # a failed COMMIT may have ended it already
                    connection.execute("ROLLBACK")
                raise

    def check(self) -> None:
        """Opens the file once, so a corrupt or foreign file is reported before anything else is tried.

        Raises:
            KeptDigitStoreError: as for every other operation.
        """
        with self._connection(create=False):
            pass

    # ---- writing -------------------------------------------------------------------------

    def add(self, digit: NewKeptDigit) -> int:
        """Keeps one digit; returns its id.

        Raises:
            DemoModeRefusal: a demo server.
            KeptDigitStoreError: the file is unusable.
        """
        return self.add_many([digit])[0]

    def add_many(self, digits: Sequence[NewKeptDigit]) -> list[int]:
        """Keeps several digits in one transaction: all of them or, on any error, none. Returns their ids.

        Raises:
            DemoModeRefusal, KeptDigitStoreError: as for `add`.
        """
        rows = [_row_values(digit) for digit in digits]
        with self._writing(SharedAction.KEEPING_DIGITS) as connection:
            return [
                connection.execute(
                    "INSERT INTO kept_digits (label, model_input, original_png, run_id, answer, confidence, kept_at, writer)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                ).lastrowid
                for row in rows
            ]

    def relabel(self, digit_id: int, label: int) -> None:
        """Gives a kept digit another true label.

        Raises:
            DemoModeRefusal: a demo server.
            ValueError: the label is not a digit, or no digit has this id.
            KeptDigitStoreError: the file is unusable.
        """
        if not 0 <= label < NUM_CLASSES:
            raise ValueError(f"a label must be a digit 0-9, not {label!r}")
        with self._writing(SharedAction.CHANGING_KEPT_DIGITS) as connection:
            changed = connection.execute("UPDATE kept_digits SET label = ? WHERE id = ?", (label, digit_id)).rowcount
        if not changed:
            raise ValueError(f"No kept digit #{digit_id}: it may have been deleted in another session.")

    def delete(self, digit_id: int) -> None:
        """Forgets a kept digit; one already gone is no error (another session may have deleted it).

        Raises:
            DemoModeRefusal: a demo server.
            KeptDigitStoreError: the file is unusable.
        """
        with self._writing(SharedAction.CHANGING_KEPT_DIGITS) as connection:
            connection.execute("DELETE FROM kept_digits WHERE id = ?", (digit_id,))

    # ---- reading -------------------------------------------------------------------------

    def get(self, digit_id: int) -> KeptDigit:
        """One kept digit.

        Raises:
            ValueError: no digit has this id.
            KeptDigitStoreError: the file is unusable.
        """
        with self._connection(create=False) as connection:
            row = connection.execute(f"SELECT {_COLUMNS} FROM kept_digits WHERE id = ?", (digit_id,)).fetchone()
        if row is None:
            raise ValueError(f"No kept digit #{digit_id}: it may have been deleted in another session.")
        return _kept_digit(row)

    def original_png(self, digit_id: int) -> bytes:
        """The PNG of a kept digit's original drawing or crop.

        Raises:
            ValueError: no digit has this id.
            KeptDigitStoreError: the file is unusable.
        """
        with self._connection(create=False) as connection:
            row = connection.execute("SELECT original_png FROM kept_digits WHERE id = ?", (digit_id,)).fetchone()
        if row is None:
            raise ValueError(f"No kept digit #{digit_id}: it may have been deleted in another session.")
        return bytes(row[0])

    def list(self, *, label: int | None = None, model_wrong: bool = False, writer: str | None = None) -> list[KeptDigit]:
        """Kept digits in the order they were kept, optionally only one label's, those the model got wrong
        (including "not sure" and "not a digit"), or one writer's ("" for digits kept without a name).

        Raises:
            KeptDigitStoreError: the file is unusable.
        """
        conditions, parameters = [], []
        if label is not None:
            conditions.append("label = ?")
            parameters.append(label)
        if model_wrong:
            conditions.append("answer != CAST(label AS TEXT)")
        if writer is not None:
            conditions.append("writer = ?")
            parameters.append(writer)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        with self._connection(create=False) as connection:
            rows = connection.execute(f"SELECT {_COLUMNS} FROM kept_digits{where} ORDER BY id", parameters).fetchall()
        return [_kept_digit(row) for row in rows]

    def label_counts(self) -> dict[int, int]:
        """How many digits of each label are kept, every digit 0-9 present.

        Raises:
            KeptDigitStoreError: the file is unusable.
        """
        with self._connection(create=False) as connection:
            counted = dict(connection.execute("SELECT label, count(*) FROM kept_digits GROUP BY label").fetchall())
        return {digit: counted.get(digit, 0) for digit in range(NUM_CLASSES)}

    def writers(self) -> list[str]:
        """The writer names in the collection, sorted ("" when some digits were kept without one).

        Raises:
            KeptDigitStoreError: the file is unusable.
        """
        with self._connection(create=False) as connection:
            return [name for (name,) in connection.execute("SELECT DISTINCT writer FROM kept_digits ORDER BY writer")]

    def training_arrays(self, writer: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The collection (or one writer's part of it) as training data, in the order kept.

        Returns:
            images (n, 28, 28) float32 in [0, 1], white digit on black like the model input, and
            labels (n,) uint8.

        Raises:
            KeptDigitStoreError: the file is unusable.
        """
        where, parameters = ("WHERE writer = ?", (writer,)) if writer is not None else ("", ())
        with self._connection(create=False) as connection:
            rows = connection.execute(f"SELECT model_input, label FROM kept_digits {where} ORDER BY id", parameters).fetchall()
        images = np.frombuffer(b"".join(row[0] for row in rows), np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        labels = np.fromiter((row[1] for row in rows), np.uint8, count=len(rows))  # (n,)
        return images.astype(np.float32) / np.float32(255.0), labels


def open_store(path: Path | None = None, mode: Mode = Mode.NORMAL) -> KeptDigitStore:
    """The kept digits at `path` (None: `default_store_path()`), checked; the file is created on the first write.

    Raises:
        KeptDigitStoreError: the file exists but is corrupt, another program's, or from a newer Digit Lab.
    """
    store = KeptDigitStore(path if path is not None else default_store_path(), mode)
    store.check()
    return store
