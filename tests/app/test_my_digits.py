"""My digits: empty, with digits, filtered, relabelled, deleted, and with a corrupt store file."""

from __future__ import annotations

import pytest

from core.kept_digits import open_store
from tests.app.conftest import open_page
from tests.core.test_kept_digits import new_digit

PAGE = "pages/My_digits.py"


@pytest.fixture()
def kept(kept_digits_path):
    """A right 3 by ann, a 7 read as 1 by bob, a right 7 by ann; returns their ids."""
    store = open_store(kept_digits_path)
    return [
        store.add(new_digit(label=label, answer=answer, writer=writer, seed=seed))
        for seed, (label, answer, writer) in enumerate([(3, "3", "ann"), (7, "1", "bob"), (7, "7", "ann")])
    ]


def _grid_captions(app) -> list[str]:
    return [caption for image in app.get("imgs") for caption in [item.caption for item in image.proto.imgs]]


def test_an_empty_collection_says_how_to_keep_digits(app_env, kept_digits_path):
    app = open_page(PAGE)
    assert not app.exception
    assert any("Right: keep it" in info.value for info in app.info)
    assert not kept_digits_path.exists()  # looking creates nothing


def test_the_collection_its_counts_and_the_models_accuracy(app_with_model, kept):
    app = open_page(PAGE)
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Kept digits"] == "3"
    assert any(label.startswith("Accuracy of") for label in metrics)
    table = app.dataframe[0].value
    assert table["kept"].tolist() == [0, 0, 0, 1, 0, 0, 0, 2, 0, 0]
    assert "3 digit(s) match." in [caption.value for caption in app.caption]
    assert [button.label for button in app.button if button.key == "adapt_start"] == ["Adapt to my digits"]
    assert app.selectbox(key="my_digits_adapt_writer").options == ["Everyone's digits", "ann", "bob"]


def test_filters_by_label_mistakes_and_writer(app_env, kept):
    app = open_page(PAGE)
    app.selectbox(key="my_digits_label").set_value(7).run()
    assert "2 digit(s) match." in [caption.value for caption in app.caption]
    app.toggle(key="my_digits_wrong").set_value(True).run()
    assert "1 digit(s) match." in [caption.value for caption in app.caption]
    app.toggle(key="my_digits_wrong").set_value(False)
    app.selectbox(key="my_digits_writer").set_value("ann").run()
    assert not app.exception
    assert "1 digit(s) match." in [caption.value for caption in app.caption]
    assert app.selectbox(key="my_digits_chosen").value == kept[2]


def test_relabel_and_delete(app_env, kept, kept_digits_path):
    app = open_page(PAGE)
    assert app.selectbox(key="my_digits_chosen").value == kept[2]  # newest first
    app.selectbox(key=f"my_digits_relabel_{kept[2]}").set_value(1).run()
    app.button(key="my_digits_save_label").click().run()
    assert not app.exception
    assert open_store(kept_digits_path).get(kept[2]).label == 1
    assert any(f"#{kept[2]} is now a 1" in success.value for success in app.success)

    app.button(key="my_digits_delete").click().run()
    assert not app.exception
    assert [digit.digit_id for digit in open_store(kept_digits_path).list()] == kept[:2]
    assert "2 digit(s) match." in [caption.value for caption in app.caption]


def test_a_corrupt_store_is_one_error_and_the_page_still_draws(app_with_model, kept_digits_path):
    kept_digits_path.write_bytes(b"not a database at all" * 50)
    app = open_page(PAGE)
    assert not app.exception
    assert len(app.error) == 1 and str(kept_digits_path) in app.error[0].value
    assert app.sidebar.selectbox(key="sidebar_run").value == app_with_model  # the rest of the app is untouched


def test_a_demo_server_shows_the_collection_without_changes(app_env, kept):
    app = open_page(PAGE, secrets={"DIGIT_LAB_MODE": "demo"})
    assert not app.exception
    assert app.button(key="my_digits_delete").disabled and app.button(key="my_digits_save_label").disabled
    assert any("off on this demo server" in caption.value for caption in app.caption)


def test_an_exported_zip_imports_once_and_a_bad_file_is_one_error(app_env, kept, kept_digits_path, tmp_path):
    from core.kept_digits_archive import export_zip

    archive = export_zip(open_store(kept_digits_path))
    app = open_page(PAGE)
    app.file_uploader(key="my_digits_import_0").set_value(("mine.zip", archive, "application/zip")).run()
    app.button(key="my_digits_import").click().run()
    assert not app.exception
    assert any(success.value == "Imported 3 digit(s) from mine.zip." for success in app.success)
    assert len(open_store(kept_digits_path).list()) == 6
    app.run()  # the uploader was emptied: nothing is imported twice
    assert len(open_store(kept_digits_path).list()) == 6

    app.file_uploader(key="my_digits_import_1").set_value(("notes.zip", b"not a zip", "application/zip")).run()
    app.button(key="my_digits_import").click().run()
    assert not app.exception
    assert [error.value for error in app.error] == ["notes.zip is not a zip file. Import a zip exported from My digits."]
