"""Two runs side by side: the agreement table, McNemar's exact test against worked examples, disagreements."""

from __future__ import annotations

import numpy as np
import pytest

from core.comparison import (
    Agreement,
    agreement,
    disagreements,
    filter_disagreements,
    mcnemar_p_value,
    mcnemar_verdict,
    per_class_accuracy,
)


def _one_hot(digits, confidence=0.9) -> np.ndarray:
    rows = np.full((len(digits), 10), (1 - confidence) / 9, np.float32)
    rows[np.arange(len(digits)), digits] = confidence
    return rows


def test_mcnemar_worked_examples():
    # 2 digits only A gets right, 8 only B: under chance each split of 10 has probability C(10, k) / 1024.
    # Two-sided: 2 * (C(10,0) + C(10,1) + C(10,2)) / 1024 = 2 * 56 / 1024 = 0.109375.
    assert mcnemar_p_value(2, 8) == pytest.approx(0.109375)
    # 1 against 9: 2 * (1 + 10) / 1024 = 0.021484375.
    assert mcnemar_p_value(9, 1) == pytest.approx(0.021484375)
    assert mcnemar_p_value(5, 5) == 1.0 and mcnemar_p_value(0, 0) == 1.0
    assert mcnemar_p_value(0, 2000) < 1e-300  # large counts stay exact, no overflow
    with pytest.raises(ValueError):
        mcnemar_p_value(-1, 3)


def test_verdict_says_whether_the_gain_is_more_than_chance():
    chance = mcnemar_verdict(Agreement(both_right=980, only_a_right=2, only_b_right=8, both_wrong=10))
    assert "B's gain over A could be chance" in chance and "p = 0.109" in chance
    real = mcnemar_verdict(Agreement(both_right=980, only_a_right=1, only_b_right=9, both_wrong=10))
    assert "B's gain over A is more than chance" in real and "p = 0.0215" in real
    assert "A's gain over B" in mcnemar_verdict(Agreement(0, 9, 1, 0))
    assert "neither run is better" in mcnemar_verdict(Agreement(5, 3, 3, 0))


def test_agreement_disagreements_and_per_class_accuracy():
    labels = np.array([0, 1, 2, 3, 4, 5])
    a = _one_hot([0, 1, 9, 3, 7, 6])  # right on 0, 1, 3
    b = _one_hot([0, 8, 2, 3, 7, 5])  # right on 0, 2, 3, 5
    b[4] = _one_hot([7], 0.6)[0]  # both answer 7 for the 4: they agree, both wrong
    assert agreement(labels, a, b) == Agreement(both_right=2, only_a_right=1, only_b_right=2, both_wrong=1)
    found = disagreements(labels, a, b)
    assert sorted(found.indices.tolist()) == [1, 2, 5]
    by_index = dict(zip(found.indices.tolist(), found.outcomes))
    assert by_index == {1: "only A right", 2: "only B right", 5: "only B right"}
    only_b = filter_disagreements(found, outcome="only B right")
    assert sorted(only_b.indices.tolist()) == [2, 5] and set(only_b.true_digits.tolist()) == {2, 5}
    assert filter_disagreements(found, true_digit=1).a_digits.tolist() == [1]
    assert found.a_confidences[0] == pytest.approx(0.9)
    accuracy = per_class_accuracy(labels, b)
    assert accuracy[:6].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0, 1.0] and np.isnan(accuracy[6:]).all()


def test_disagreements_put_the_most_confident_first():
    labels = np.array([1, 1])
    a = np.vstack([_one_hot([1], 0.6), _one_hot([1], 0.95)])
    b = np.vstack([_one_hot([2], 0.99), _one_hot([2], 0.9)])
    assert disagreements(labels, a, b).indices.tolist() == [1, 0]  # weaker side 0.9 beats 0.6


def test_probabilities_must_cover_the_labels():
    with pytest.raises(ValueError):
        agreement(np.array([0, 1]), _one_hot([0, 1]), _one_hot([0]))
