"""Home's "Real handwriting" section: the active model's figures by set and its commonest mistakes as pictures."""

from __future__ import annotations

import shutil

import numpy as np

from core.realworld_report import MISTAKES_FILE, PENDIGITS_DEFAULT, REALWORLD_FILE, SEMEION_PHOTO, Mistakes, save_mistakes
from core.uncertainty import NOT_A_DIGIT
from tests.app.conftest import open_page
from tests.core.test_realworld_report import measured_run
from tests.fixtures import REALWORLD_BEFORE_UJI


def _table_sets(app) -> list[str]:
    return app.dataframe[0].value["set"].tolist()


def _captions(app) -> list[str]:
    return [caption for image in app.get("image") for caption in image.captions]


def test_home_names_every_set_and_shows_the_mistakes_as_pictures(app_with_model, app_env):
    folder = measured_run(app_env / app_with_model)
    images = np.zeros((3, 28, 28), np.uint8)
    save_mistakes(folder / MISTAKES_FILE, Mistakes(images, np.array([9, 9, 1]), np.array([3, 3, NOT_A_DIGIT]),
                                                   np.array([PENDIGITS_DEFAULT, SEMEION_PHOTO, SEMEION_PHOTO])))
    app = open_page("Home.py")
    assert not app.exception, app.exception
    assert _table_sets(app) == [
        "MNIST test", "pendigits, 30 writers, canvas strokes (default pen)", "pendigits, worst pen (width 18, fill 0.3)",
        "UJI writers 41–60, canvas strokes", "UJI writers 41–60, photos", "Semeion scans, as photos",
        "Non-digits (stroke-font letters and symbols)",
    ]
    assert app.dataframe[0].value["accuracy"].tolist()[1] == "98.00%"
    assert "9 read as 3 · pendigits" in _captions(app) and "1 read as not a digit · Semeion" in _captions(app)
    assert any("9 read as 3" in markdown.value and "75×" in markdown.value for markdown in app.markdown)
    assert any("python -m bench.realworld" in caption.value for caption in app.caption)


def test_home_says_how_to_measure_a_run_never_measured(app_with_model):
    app = open_page("Home.py")
    assert not app.exception, app.exception
    assert not app.dataframe and not any("read as" in caption for caption in _captions(app))
    assert any("never measured" in caption.value and "--record" in caption.value for caption in app.caption)


def test_home_reads_a_report_from_before_uji_and_lists_its_confusions_without_pictures(app_with_model, app_env):
    shutil.copy(REALWORLD_BEFORE_UJI, app_env / app_with_model / REALWORLD_FILE)
    app = open_page("Home.py")
    assert not app.exception, app.exception
    sets = _table_sets(app)
    assert "Semeion scans, as photos" in sets and not any(name.startswith("UJI") for name in sets)
    assert not any("read as" in caption for caption in _captions(app))
    assert any("1 read as 7 ×95" in caption.value and "five commonest" in caption.value for caption in app.caption)

