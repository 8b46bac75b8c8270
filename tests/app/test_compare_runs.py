"""Compare runs: the agreement table and McNemar's verdict as core computes them, the disagreement filter,
and robustness measured in the background and overlaid."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

from core.comparison import agreement, disagreements, mcnemar_verdict
from core.data import load_sample
from core.robustness import AXES, load_result
from core.runs import PREDICTIONS_FILE, RunStore
from tests.app.conftest import open_page

SECOND_RUN = "second-run"


@pytest.fixture()
def two_runs(app_with_model, app_env) -> tuple[str, str]:
    """The trained run, and a copy of it whose stored answers are made right on 30 of its mistakes and
    wrong on 5 digits it got right."""
    shutil.copytree(app_env / app_with_model, app_env / SECOND_RUN)
    labels = load_sample().y_test
    store = RunStore(app_env, shipped_dir=None)
    probabilities = store.test_probabilities(app_with_model).copy()
    wrong = np.flatnonzero(probabilities.argmax(axis=1) != labels)[:30]
    right = np.flatnonzero(probabilities.argmax(axis=1) == labels)[:5]
    probabilities[wrong] = np.eye(10, dtype=np.float32)[labels[wrong]]
    probabilities[right] = np.eye(10, dtype=np.float32)[(labels[right] + 1) % 10]
    np.savez(app_env / SECOND_RUN / PREDICTIONS_FILE, probabilities=probabilities)
    return app_with_model, SECOND_RUN


def test_agreement_verdict_and_disagreements_match_core(two_runs, app_env):
    run_a, run_b = two_runs
    store, labels = RunStore(app_env, shipped_dir=None), load_sample().y_test
    expected = agreement(labels, store.test_probabilities(run_a), store.test_probabilities(run_b))
    app = open_page("pages/Compare_runs.py")
    app.selectbox(key="cmp_a").set_value(run_a).run()
    app.selectbox(key="cmp_b").set_value(run_b).run()
    assert not app.exception
    counts = app.dataframe[0].value
    assert counts.loc["A right", "B right"] == expected.both_right and counts.loc["A wrong", "B right"] == 30
    assert counts.loc["A right", "B wrong"] == 5 == expected.only_a_right
    assert any(mcnemar_verdict(expected) in markdown.value for markdown in app.markdown)
    assert any("B's gain over A is more than chance" in markdown.value for markdown in app.markdown)
    found = disagreements(labels, store.test_probabilities(run_a), store.test_probabilities(run_b))
    assert list(app.dataframe[1].value["index"]) == list(found.indices)

    app.selectbox(key="cmp_outcome").set_value("only A right").run()
    table = app.dataframe[1].value
    assert len(table) == 5 and set(table["who is right"]) == {"only A right"}


def test_robustness_is_measured_in_the_background_then_overlaid(app_with_model, app_env):
    app = open_page("pages/Compare_runs.py")
    assert any("Train a second model" in info.value for info in app.info)
    app.button(key=f"cmp_measure_{app_with_model}").click().run()
    deadline = time.monotonic() + 240
    while load_result(app_env / app_with_model) is None and time.monotonic() < deadline:
        time.sleep(1)  # the measurement runs on its own thread; AppTest cannot wait on a fragment's timer
    assert load_result(app_env / app_with_model) is not None
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == sum(len(axis.strengths) for axis in AXES) and list(table.columns) == [app_with_model]
