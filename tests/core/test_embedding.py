"""Tests for core.embedding: penultimate layers, batched features, PCA and neighbours against slow references."""

from __future__ import annotations

import numpy as np
import pytest

import keras

from core.architectures import build_model
from core.embedding import (
    Projection,
    build_feature_model,
    embed,
    nearest_neighbours,
    pca,
    penultimate_layer_name,
    project,
)
from core.inference import load_model
from core.recipes import RECIPES
from core.runs import MODEL_FILE, SHIPPED_RUN_DIR

NAMES = sorted(RECIPES)
EXPECTED_PENULTIMATE = {"seed": "dense", "fast": "flatten", "best": "dense_relu"}
EXPECTED_WIDTH = {"seed": 256, "fast": 3136, "best": 256}


@pytest.fixture(scope="module")
def shipped_feature_model() -> keras.Model:
    return build_feature_model(load_model(SHIPPED_RUN_DIR / MODEL_FILE))


@pytest.fixture(scope="module")
def train_features(shipped_feature_model, sample_data) -> np.ndarray:
    return embed(shipped_feature_model, sample_data.x_train)  # (5000, 256) float32


def anisotropic_features(seed: int, rows: int = 300, width: int = 12) -> np.ndarray:
    """Gaussian data stretched differently along random directions, so every eigenvalue is distinct."""
    rng = np.random.default_rng(seed)
    scales = np.linspace(5.0, 0.5, width)  # (d,)
    rotation, _ = np.linalg.qr(rng.normal(size=(width, width)))  # (d, d) orthonormal
    return (rng.normal(size=(rows, width)) * scales) @ rotation + rng.normal(size=width) * 3.0


def slow_pca(features: np.ndarray, components: int) -> tuple[np.ndarray, np.ndarray]:
    """The textbook definition: right singular vectors of the centred data, largest first, and each
    singular value squared as a share of their sum. A different algorithm from core.embedding's."""
    centred = features - features.mean(axis=0)
    _, singular_values, right_vectors = np.linalg.svd(centred, full_matrices=False)
    return right_vectors[:components], (singular_values**2 / np.sum(singular_values**2))[:components]


def covariance_eigenvalues(features: np.ndarray) -> np.ndarray:
    """Eigenvalues of np.cov, largest first: the variance along each principal direction."""
    return np.sort(np.linalg.eigvalsh(np.cov(features, rowvar=False)))[::-1]


def slow_nearest(query: np.ndarray, references: np.ndarray, k: int, metric: str) -> tuple[list[int], list[float]]:
    """Distance to each reference row one at a time, sorted by (distance, index)."""
    distances = []
    for index, reference in enumerate(references):
        if metric == "euclidean":
            distance = float(np.sqrt(np.sum((query - reference) ** 2)))
        else:
            distance = 1.0 - float(query @ reference / (np.linalg.norm(query) * np.linalg.norm(reference)))
        distances.append((distance, index))
    nearest = sorted(distances)[:k]
    return [index for _, index in nearest], [distance for distance, _ in nearest]


@pytest.mark.parametrize("name", NAMES)
def test_penultimate_layer_feeds_the_classifier_past_any_dropout(name):
    keras.utils.set_random_seed(0)
    model = build_model(name)
    assert penultimate_layer_name(model) == EXPECTED_PENULTIMATE[name]
    features = embed(build_feature_model(model), np.zeros((3, 28, 28), np.uint8))
    assert features.shape == (3, EXPECTED_WIDTH[name])
    assert features.dtype == np.float32


def test_penultimate_layer_needs_a_probabilities_layer_with_something_before_it():
    inputs = keras.Input((784,))
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(keras.layers.Dropout(0.5)(inputs))
    with pytest.raises(ValueError, match="no feature layer"):
        penultimate_layer_name(keras.Model(inputs, outputs))
    renamed = keras.Model(inputs, keras.layers.Dense(10, name="scores")(inputs))
    with pytest.raises(ValueError, match="probabilities"):
        penultimate_layer_name(renamed)


def test_embed_gives_the_same_features_whatever_the_batch_size(shipped_feature_model, sample_data):
    images = sample_data.x_test[:20]
    whole = embed(shipped_feature_model, images)
    np.testing.assert_allclose(embed(shipped_feature_model, images, batch_size=7), whole, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        embed(shipped_feature_model, images.astype(np.float32) / 255.0), whole, rtol=1e-5, atol=1e-5
    )
    assert embed(shipped_feature_model, images[:0]).shape == (0, whole.shape[1])


def test_embed_refuses_bad_input(shipped_feature_model):
    with pytest.raises(ValueError, match="28, 28"):
        embed(shipped_feature_model, np.zeros((28, 28), np.uint8))
    with pytest.raises(ValueError, match="batch_size"):
        embed(shipped_feature_model, np.zeros((2, 28, 28), np.uint8), batch_size=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("components", [1, 2, 5])
def test_pca_matches_svd_of_the_centred_data_up_to_sign(seed, components):
    features = anisotropic_features(seed)
    projection = pca(features, components)
    expected_components, expected_ratios = slow_pca(features, components)
    assert isinstance(projection, Projection)
    assert projection.components.shape == (components, features.shape[1])
    for actual, expected in zip(projection.components, expected_components):
        np.testing.assert_allclose(actual, expected * np.sign(actual @ expected), atol=1e-8)
    np.testing.assert_allclose(projection.explained_variance_ratio, expected_ratios, rtol=1e-8)
    variances = covariance_eigenvalues(features)
    expected_from_covariance = (variances / variances.sum())[:components]
    np.testing.assert_allclose(projection.explained_variance_ratio, expected_from_covariance, rtol=1e-8)
    coordinates = project(projection, features)
    assert coordinates.shape == (len(features), components)
    # Each coordinate's variance is the variance PCA says that component explains.
    np.testing.assert_allclose(coordinates.var(axis=0, ddof=1), variances[:components], rtol=1e-8)
    slow_coordinates = (features - features.mean(axis=0)) @ expected_components.T
    np.testing.assert_allclose(np.abs(coordinates), np.abs(slow_coordinates), atol=1e-8)


def test_pca_ratios_descend_and_sum_to_at_most_one():
    projection = pca(anisotropic_features(3), components=6)
    ratios = projection.explained_variance_ratio
    assert np.all(np.diff(ratios) <= 0)
    assert ratios.sum() <= 1.0 + 1e-12
    assert pca(anisotropic_features(3), components=12).explained_variance_ratio.sum() == pytest.approx(1.0)


def test_pca_signs_are_deterministic_and_components_orthonormal():
    features = anisotropic_features(4)
    projection = pca(features, components=3)
    basis = projection.components
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-10)
    largest = basis[np.arange(3), np.abs(basis).argmax(axis=1)]
    assert np.all(largest > 0)
    # Reordering rows or flipping every feature cannot flip a component: the sign is fixed by the loadings.
    shuffled = pca(features[np.random.default_rng(0).permutation(len(features))], components=3)
    np.testing.assert_allclose(shuffled.components, basis, atol=1e-8)
    np.testing.assert_allclose(pca(-features, components=3).components, basis, atol=1e-8)


def test_pca_of_constant_features_has_zero_ratios():
    projection = pca(np.ones((5, 3)), components=2)
    np.testing.assert_array_equal(projection.explained_variance_ratio, [0.0, 0.0])
    np.testing.assert_allclose(project(projection, np.ones((2, 3))), 0.0, atol=1e-12)


@pytest.mark.parametrize(
    "features, components",
    [
        (np.zeros(5), 1),
        (np.zeros((1, 4)), 1),
        (np.zeros((5, 4)), 0),
        (np.zeros((5, 4)), 5),
        (np.full((5, 4), np.nan), 1),
    ],
)
def test_pca_refuses_bad_input(features, components):
    with pytest.raises(ValueError):
        pca(features, components)


def test_project_refuses_features_of_another_width():
    with pytest.raises(ValueError, match="features per row"):
        project(pca(anisotropic_features(0), 2), np.zeros((3, 5)))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("seed", [0, 1])
def test_nearest_neighbours_match_brute_force(metric, seed):
    rng = np.random.default_rng(seed)
    references = rng.normal(size=(200, 16))
    queries = rng.normal(size=(15, 16))
    result = nearest_neighbours(queries, references, k=6, metric=metric)
    assert result.indices.shape == result.distances.shape == (15, 6)
    for query, indices, distances in zip(queries, result.indices, result.distances):
        expected_indices, expected_distances = slow_nearest(query, references, 6, metric)
        assert indices.tolist() == expected_indices
        np.testing.assert_allclose(distances, expected_distances, atol=1e-9)


def test_nearest_neighbours_of_one_query_and_of_a_reference_itself():
    references = np.random.default_rng(2).normal(size=(50, 4))
    indices, distances = nearest_neighbours(references[17], references, k=3)
    assert indices.shape == distances.shape == (3,)
    assert indices[0] == 17 and distances[0] == pytest.approx(0.0, abs=1e-7)
    assert np.all(np.diff(distances) >= 0)


def test_nearest_neighbours_break_ties_by_index():
    references = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    indices, _ = nearest_neighbours(np.zeros(2), references, k=4)
    assert indices.tolist() == [0, 1, 2, 3]


def test_nearest_neighbours_work_in_chunks_as_in_one(monkeypatch):
    rng = np.random.default_rng(3)
    references, queries = rng.normal(size=(100, 8)), rng.normal(size=(9, 8))
    whole = nearest_neighbours(queries, references, k=4)
    monkeypatch.setattr("core.embedding._DISTANCES_PER_CHUNK", 250)  # two queries per chunk
    chunked = nearest_neighbours(queries, references, k=4)
    np.testing.assert_array_equal(chunked.indices, whole.indices)
    np.testing.assert_allclose(chunked.distances, whole.distances)


@pytest.mark.parametrize(
    "query, k, metric",
    [
        (np.zeros(3), 2, "euclidean"),  # query width differs from the references'
        (np.zeros(4), 0, "euclidean"),
        (np.zeros(4), 11, "cosine"),  # more neighbours than references
        (np.zeros(4), 2, "manhattan"),
    ],
)
def test_nearest_neighbours_refuse_bad_input(query, k, metric):
    with pytest.raises(ValueError):
        nearest_neighbours(query, np.ones((10, 4)), k=k, metric=metric)


def test_shipped_model_neighbours_mostly_share_the_label(shipped_feature_model, train_features, sample_data):
    queries = embed(shipped_feature_model, sample_data.x_test[:50])  # (50, 256)
    neighbours = nearest_neighbours(queries, train_features, k=5)
    shared = sample_data.y_train[neighbours.indices] == sample_data.y_test[:50, np.newaxis]  # (50, 5)
    assert shared.mean() >= 0.8  # the shipped model measures 99.6%


def test_shipped_model_pca_view_has_the_expected_shape(train_features):
    projection = pca(train_features, components=2)
    assert project(projection, train_features).shape == (len(train_features), 2)
    assert projection.explained_variance_ratio.sum() <= 1.0
