"""Export of kept digits (zip of PNGs + CSV, MNIST-layout .npz) and import of such a zip, good and bad."""

from __future__ import annotations

import csv
import io
import zipfile

import numpy as np
import pytest

from core.kept_digits import KeptDigitStore, KeptDigitStoreError, open_store, png_bytes
from core.kept_digits_archive import CSV_FIELDS, CSV_NAME, KeptDigitsArchiveError, export_npz, export_zip, import_zip
from core.mode import DemoModeRefusal, Mode
from tests.core.test_kept_digits import new_digit


@pytest.fixture()
def store(tmp_path) -> KeptDigitStore:
    """Three kept digits: a right 3 by ann, a 7 read as 1 by bob, a "not sure" 0 without a name."""
    store = open_store(tmp_path / "kept.sqlite3")
    for seed, (label, answer, writer) in enumerate([(3, "3", "ann"), (7, "1", "bob"), (0, "?", "")]):
        store.add(new_digit(label=label, answer=answer, writer=writer, seed=seed))
    return store


def _rewritten(archive: bytes, change_rows=None, drop: tuple[str, ...] = (), add: dict[str, bytes] | None = None) -> bytes:
    """A copy of an exported zip with its CSV rows changed, members dropped or added."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    rows = list(csv.DictReader(io.StringIO(source.read(CSV_NAME).decode())))
    if change_rows is not None:
        rows = change_rows(rows)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]) if rows else CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as copy:
        for name in source.namelist():
            if name != CSV_NAME and name not in drop:
                copy.writestr(name, source.read(name))
        if CSV_NAME not in drop:
            copy.writestr(CSV_NAME, table.getvalue())
        for name, data in (add or {}).items():
            copy.writestr(name, data)
    return buffer.getvalue()


def test_an_exported_zip_imports_back_as_the_same_digits(store, tmp_path):
    archive = export_zip(store)
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert CSV_NAME in names and sum(name.startswith("input/") for name in names) == 3
    assert sum(name.startswith("original/") for name in names) == 3

    copy = open_store(tmp_path / "copy.sqlite3")
    report = import_zip(copy, archive)

    assert (report.imported, report.skipped) == (3, ())
    for before, after in zip(store.list(), copy.list(), strict=True):
        assert (after.label, after.answer, after.writer, after.run_id, after.kept_at) == (
            before.label, before.answer, before.writer, before.run_id, before.kept_at,
        )
        assert after.confidence == pytest.approx(before.confidence)
        np.testing.assert_array_equal(after.model_input, before.model_input)
        assert copy.original_png(after.digit_id) == store.original_png(before.digit_id)


def test_the_npz_has_mnists_layout(store):
    arrays = np.load(io.BytesIO(export_npz(store)))
    assert arrays["x"].shape == (3, 28, 28) and arrays["x"].dtype == np.uint8
    assert arrays["y"].tolist() == [3, 7, 0] and arrays["y"].dtype == np.uint8
    np.testing.assert_array_equal(arrays["x"][1], store.list()[1].model_input)


def test_an_empty_collection_exports_empty_files(tmp_path):
    empty = open_store(tmp_path / "empty.sqlite3")
    assert np.load(io.BytesIO(export_npz(empty)))["x"].shape == (0, 28, 28)
    with pytest.raises(KeptDigitsArchiveError, match="lists no digit"):
        import_zip(empty, export_zip(empty))


def test_bad_rows_are_skipped_and_named_and_the_good_ones_imported(store, tmp_path):
    def spoil(rows):
        rows[0]["label"] = "12"
        rows[2]["input_png"] = "input/nowhere.png"
        return rows

    archive = _rewritten(export_zip(store), spoil)
    copy = open_store(tmp_path / "copy.sqlite3")
    report = import_zip(copy, archive, name="mine.zip")

    assert report.imported == 1 and len(report.skipped) == 2
    assert report.skipped[0].startswith("row 1:") and "label" in report.skipped[0]
    assert report.skipped[1].startswith("row 3:") and "input/nowhere.png is missing" in report.skipped[1]
    assert [digit.label for digit in copy.list()] == [7]


def test_a_wrong_sized_or_broken_picture_skips_its_row(store, tmp_path):
    first, second = (f"input/{digit.digit_id:06d}.png" for digit in store.list()[:2])
    archive = _rewritten(export_zip(store), drop=(first, second), add={first: png_bytes(np.zeros((20, 28), np.uint8)), second: b"junk"})
    report = import_zip(open_store(tmp_path / "copy.sqlite3"), archive)
    assert report.imported == 1
    assert report.skipped[0] == f"row 1: {first} is 28x20, not 28x28"
    assert report.skipped[1].startswith(f"row 2: {second} is unreadable")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04 but not really a zip", "not a zip file"),
        (b"", "not a zip file"),
    ],
)
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, data, message):
    with pytest.raises(KeptDigitsArchiveError, match=message):
        import_zip(open_store(tmp_path / "kept.sqlite3"), data, name="photo.zip")


def test_a_zip_without_the_csv_or_its_columns_is_refused_and_nothing_is_imported(store, tmp_path):
    copy = open_store(tmp_path / "copy.sqlite3")
    with pytest.raises(KeptDigitsArchiveError, match=f"no {CSV_NAME}"):
        import_zip(copy, _rewritten(export_zip(store), drop=(CSV_NAME,)))

    def without_labels(rows):
        return [{key: value for key, value in row.items() if key != "label"} for row in rows]

    with pytest.raises(KeptDigitsArchiveError, match="lacks the column"):
        import_zip(copy, _rewritten(export_zip(store), without_labels))

    def all_wrong(rows):
        return [{**row, "answer": "maybe"} for row in rows]

    with pytest.raises(KeptDigitsArchiveError, match="every row is wrong: row 1: .*answer"):
        import_zip(copy, _rewritten(export_zip(store), all_wrong))
    assert copy.list() == []


def test_a_zip_in_a_folder_imports_too(store, tmp_path):
    """A user who unpacked the export and zipped the folder again gets the same digits."""
    source = zipfile.ZipFile(io.BytesIO(export_zip(store)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as nested:
        for name in source.namelist():
            nested.writestr(f"my_digits/{name}", source.read(name))
    assert import_zip(open_store(tmp_path / "copy.sqlite3"), buffer.getvalue()).imported == 3


def test_an_import_on_a_demo_server_or_into_a_broken_store_writes_nothing(store, tmp_path):
    archive = export_zip(store)
    path = tmp_path / "copy.sqlite3"
    with pytest.raises(DemoModeRefusal):
        import_zip(KeptDigitStore(path, mode=Mode.DEMO), archive)
    assert not path.exists()
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(KeptDigitStoreError):
        import_zip(KeptDigitStore(path), archive)
