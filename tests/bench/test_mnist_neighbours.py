"""Tests for bench.mnist_neighbours: nearest training digits in pixel space and the table they make."""

from __future__ import annotations

import numpy as np
import pytest

from bench.mnist_neighbours import QUERY_BATCH, markdown_table, nearest_labels, neighbour_row


def _references() -> tuple[np.ndarray, np.ndarray]:
    """Five uint8 images, each lit in a different row band, labelled 10..14 so labels are unmistakable."""
    images = np.zeros((5, 28, 28), np.uint8)
    for index in range(5):
        images[index, index * 5 : index * 5 + 4] = 255
    return images, np.arange(10, 15)


def test_nearest_labels_orders_neighbours_by_pixel_distance() -> None:
    references, labels = _references()
    query = references[2].astype(np.float32) / 255  # identical to reference 2
    query[15:17] = 0.6  # plus half of reference 3's band, brightly
    query[5:7] = 0.3  # and half of reference 1's, faintly
    found = nearest_labels(query[np.newaxis], references, labels, k=3)
    assert found.tolist() == [[12, 13, 11]]


def test_nearest_labels_answers_the_same_across_query_batches() -> None:
    references, labels = _references()
    rng = np.random.default_rng(0)
    queries = references[rng.integers(0, 5, QUERY_BATCH + 7)].astype(np.float32) / 255  # spans two batches
    found = nearest_labels(queries, references, labels, k=1)
    expected = labels[np.argmax((queries.reshape(len(queries), -1) @ references.reshape(5, -1).T), axis=1)]
    assert found.shape == (QUERY_BATCH + 7, 1)
    assert (found[:, 0] == expected).all()


def test_float_and_uint8_references_give_the_same_neighbours() -> None:
    references, labels = _references()
    query = np.random.default_rng(1).random((4, 28, 28), dtype=np.float32)
    as_float = nearest_labels(query, references.astype(np.float32) / 255, labels, k=5)
    assert (nearest_labels(query, references, labels, k=5) == as_float).all()


@pytest.mark.parametrize("k", [0, 6])
def test_nearest_labels_refuses_impossible_k(k: int) -> None:
    references, labels = _references()
    with pytest.raises(ValueError, match="k must be between 1 and 5"):
        nearest_labels(np.zeros((1, 28, 28), np.float32), references, labels, k)


def test_neighbour_row_and_table_report_the_label_shares() -> None:
    neighbours = np.array([[7, 7, 1, 7], [7, 2, 1, 1]])  # 2 inputs, 4 neighbours each
    row = neighbour_row(neighbours, true=1, predicted=7)
    assert (row.count, row.share_true, row.share_predicted) == (2, 3 / 8, 4 / 8)
    table = markdown_table([row], k=4)
    assert table.splitlines()[-1] == "| 1 | 7 | 2 | 38% | 50% |"
    assert "of their 4 nearest MNIST digits" in table
