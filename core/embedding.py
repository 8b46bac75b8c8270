"""What the network has learned to tell apart: penultimate-layer features, a 2-D PCA view of them, and
exact nearest neighbours in feature space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import keras
from keras import layers

from core.architectures import CLASSIFIER_LAYER
from core.inference import EVALUATION_BATCH_SIZE, to_model_input

METRICS = ("euclidean", "cosine")
# Queries are compared with the whole reference set in chunks, so memory stays near this many distances.
_DISTANCES_PER_CHUNK = 4_000_000


def _producer(model: keras.Model, tensor: keras.KerasTensor) -> keras.layers.Layer:
    """The layer whose output is `tensor`.

    Raises:
        ValueError: no layer of the model produces it (it is a model input).
    """
    for layer in model.layers:
        if layer.output is tensor:
            return layer
    raise ValueError(f"No layer of {model.name!r} produces {tensor.name}.")


def penultimate_layer_name(model: keras.Model) -> str:
    """The layer feeding the final "probabilities" layer, skipping Dropout (identity at inference).

    "dense" for seed, "flatten" for fast, "dense_relu" for best.

    Raises:
        ValueError: the model has no "probabilities" layer, or nothing but Dropout and the input feeds it.
    """
    try:
        tensor = model.get_layer(CLASSIFIER_LAYER).input
    except ValueError:
        raise ValueError(f"Model {model.name!r} has no {CLASSIFIER_LAYER!r} layer.") from None
    layer = _producer(model, tensor)
    while isinstance(layer, layers.Dropout):
        layer = _producer(model, layer.input)
    if isinstance(layer, layers.InputLayer):
        raise ValueError(f"Model {model.name!r} has no feature layer before {CLASSIFIER_LAYER!r}.")
    return layer.name


def build_feature_model(model: keras.Model) -> keras.Model:
    """A model sharing the classifier's weights that outputs its penultimate features; build it once.

    Raises:
        ValueError: as `penultimate_layer_name`.
    """
    name = penultimate_layer_name(model)
    return keras.Model(model.input, model.get_layer(name).output, name=f"{model.name}_embedding")


def embed(feature_model: keras.Model, images: np.ndarray, batch_size: int = EVALUATION_BATCH_SIZE) -> np.ndarray:
    """Penultimate features of many digits, calling the model directly in batches (predict() is slower).

    Args:
        feature_model: from `build_feature_model`.
        images: (n, 28, 28) uint8 in [0, 255], or float in [0, 1].
        batch_size: images per call; bounds memory.

    Returns:
        (n, d) float32.

    Raises:
        ValueError: images not (n, 28, 28), or batch_size < 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    batch = to_model_input(images)  # (n, 28, 28, 1)
    width = int(np.prod(feature_model.output.shape[1:]))
    outputs = [
        keras.ops.convert_to_numpy(feature_model(batch[start : start + batch_size], training=False))
        for start in range(0, len(batch), batch_size)
    ]
    if not outputs:
        return np.zeros((0, width), np.float32)
    return np.concatenate(outputs).reshape(len(batch), width).astype(np.float32, copy=False)  # (n, d)


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays elementwise makes `==` raise, not answer.
class Projection:
    """A fitted PCA.

    Attributes:
        mean: (d,) float64 feature mean subtracted before projecting.
        components: (k, d) float64 orthonormal rows, largest variance first; each row's largest
            absolute loading is positive, so refitting the same data gives the same picture.
        explained_variance_ratio: (k,) float64 share of the total variance along each component.
    """

    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray


def _check_features(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"Expected features of shape (n, d), got {features.shape}.")
    if not np.all(np.isfinite(features)):
        raise ValueError("Features must be finite.")
    return features.astype(np.float64)


def pca(features: np.ndarray, components: int = 2) -> Projection:
    """Principal components of a feature matrix, from the eigenvectors of its (d, d) scatter matrix.

    Same components as an SVD of the centred data, but that SVD also builds an (n, d) matrix of left
    vectors nobody uses: for 5,000 x 256 features it is 10 to 100 times slower on a busy CPU. Costs
    O(n d^2 + d^3): milliseconds for 256-wide features, seconds for fast's 3,136.

    Args:
        features: (n, d) with n >= 2.
        components: k, between 1 and min(n, d).

    Raises:
        ValueError: features not 2-D and finite, fewer than two rows, or components out of range.
    """
    features = _check_features(features)  # (n, d) float64
    rows, width = features.shape
    if rows < 2:
        raise ValueError(f"PCA needs at least two rows, got {rows}.")
    if not 1 <= components <= min(rows, width):
        raise ValueError(f"components must be in [1, {min(rows, width)}], got {components}.")
    mean = features.mean(axis=0)  # (d,)
    centred = features - mean  # (n, d)
    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)  # (d,) ascending, (d, d) columns
    order = np.argsort(eigenvalues)[::-1][:components]  # largest variance first
    variances = np.maximum(eigenvalues[order], 0.0)  # rounding can leave tiny negatives
    total = float(np.sum(centred**2))  # the trace, summed directly rather than from rounded eigenvalues
    ratios = variances / total if total > 0 else np.zeros(components)
    basis = eigenvectors[:, order].T  # (k, d)
    # Eigenvector signs are arbitrary; make each row's largest-magnitude loading positive.
    largest = basis[np.arange(components), np.abs(basis).argmax(axis=1)]  # (k,)
    basis = basis * np.where(largest < 0, -1.0, 1.0)[:, np.newaxis]
    return Projection(mean=mean, components=basis, explained_variance_ratio=ratios)


def project(projection: Projection, features: np.ndarray) -> np.ndarray:
    """Coordinates of features along a fitted projection's components.

    Args:
        projection: from `pca`.
        features: (n, d), the same width the projection was fitted on.

    Returns:
        (n, k) float64.

    Raises:
        ValueError: features not (n, d) with the fitted d, or not finite.
    """
    features = _check_features(features)
    if features.shape[1] != projection.mean.shape[0]:
        raise ValueError(f"Expected {projection.mean.shape[0]} features per row, got {features.shape[1]}.")
    return (features - projection.mean) @ projection.components.T  # (n, k)


class Neighbours(NamedTuple):
    """The k closest reference rows to each query, closest first."""

    indices: np.ndarray  # (q, k) int64 rows of the reference set; (k,) for a single (d,) query
    distances: np.ndarray  # (q, k) float64, same shape as indices


def _distances(queries: np.ndarray, references: np.ndarray, metric: str) -> np.ndarray:
    """(q, n) distances between every query and every reference, float64."""
    if metric == "cosine":
        # An all-zero vector has no direction: left at zero, it is orthogonal to everything (distance 1).
        query_norms = np.linalg.norm(queries, axis=1, keepdims=True)  # (q, 1)
        reference_norms = np.linalg.norm(references, axis=1, keepdims=True)  # (n, 1)
        unit_queries = queries / np.where(query_norms > 0, query_norms, 1.0)  # (q, d)
        unit_references = references / np.where(reference_norms > 0, reference_norms, 1.0)  # (n, d)
        return np.clip(1.0 - unit_queries @ unit_references.T, 0.0, 2.0)  # (q, n)
    # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b; rounding can make it slightly negative, hence the clip.
    squared = (
        (queries**2).sum(axis=1)[:, np.newaxis]
        + (references**2).sum(axis=1)[np.newaxis, :]
        - 2.0 * queries @ references.T
    )  # (q, n)
    return np.sqrt(np.maximum(squared, 0.0))


def nearest_neighbours(
    query_features: np.ndarray, reference_features: np.ndarray, k: int = 8, metric: str = "euclidean"
) -> Neighbours:
    """The k nearest reference rows to each query, by exhaustive search (no approximate index).

    Ties go to the lower reference index.

    Args:
        query_features: (d,) one query, or (q, d).
        reference_features: (n, d).
        k: neighbours per query, 1 <= k <= n.
        metric: "euclidean" (default: the distance the PCA view shows) or "cosine" (1 - cosine similarity,
            which ignores how strongly a digit activates the features, only which ones).

    Returns:
        Neighbours with (q, k) indices and distances, or (k,) for a (d,) query.

    Raises:
        ValueError: shapes disagree, values not finite, k out of range, or an unknown metric.
    """
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of: {', '.join(METRICS)}.")
    single = np.asarray(query_features).ndim == 1
    queries = _check_features(np.atleast_2d(query_features))  # (q, d) float64
    references = _check_features(reference_features)  # (n, d) float64
    if queries.shape[1] != references.shape[1]:
        raise ValueError(f"Queries have {queries.shape[1]} features, references {references.shape[1]}.")
    if not 1 <= k <= len(references):
        raise ValueError(f"k must be in [1, {len(references)}], got {k}.")
    chunk = max(1, _DISTANCES_PER_CHUNK // len(references))
    indices, distances = [], []
    for start in range(0, len(queries), chunk):
        block = _distances(queries[start : start + chunk], references, metric)  # (chunk, n)
        # A stable full sort is exact and breaks ties by index; argpartition would not.
        order = np.argsort(block, axis=1, kind="stable")[:, :k]  # (chunk, k)
        indices.append(order)
        distances.append(np.take_along_axis(block, order, axis=1))
    result = Neighbours(np.concatenate(indices).astype(np.int64), np.concatenate(distances))
    return Neighbours(result.indices[0], result.distances[0]) if single else result
