"""The network in the form it trains in, and back in the form it is kept in.

Two changes make a training step cheaper without changing what is saved:
- batch norm through TensorFlow's fused kernel (`core.fused_batch_norm`);
- for a recipe that asks for it, arithmetic in bfloat16 with float32 weights (Keras's "mixed" policy).
  Measured on the 2-core development machine (AVX-512 with bfloat16 instructions, issue 17): one epoch
  of `best`'s recipe took 28.7 s in float32 and 21.4 s in bfloat16.

`for_training` rebuilds the network in its training form before `fit`; `for_keeping` rebuilds it with
Keras's own batch norm in float32 afterwards, weights unchanged. So every saved model holds plain float32
Keras layers and loads anywhere it did before (the NumPy forward pass included).
"""

from __future__ import annotations

import keras

from core.architectures import CLASSIFIER_LAYER
from core.config import check_compute_dtype
from core.fused_batch_norm import FusedBatchNormalization

FLOAT32 = "float32"
_LAYER_POLICIES = {FLOAT32: "float32", "bfloat16": "mixed_bfloat16"}  # weights stay float32 in both


def _rebuilt(model: keras.Model, batch_norm: type[keras.layers.BatchNormalization], compute_dtype: str) -> keras.Model:
    """The same network and weights, its batch norm rebuilt as `batch_norm` and its layers computing in
    `compute_dtype`; the classifier always in float32, so the probabilities keep summing to 1.

    A model that would not change comes back as it is: cloning would draw new seeds for its dropout layers,
    and `seed` would no longer train as it always has.
    """
    policy = _LAYER_POLICIES[compute_dtype]
    has_batch_norm = any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    computing = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    in_policy = all(layer.dtype_policy.name == policy for layer in computing if layer.name != CLASSIFIER_LAYER)
    if not has_batch_norm and in_policy:
        return model

    def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
        is_batch_norm = isinstance(layer, keras.layers.BatchNormalization)
        config = {**layer.get_config(), "dtype": FLOAT32 if layer.name == CLASSIFIER_LAYER else policy}
        return (batch_norm if is_batch_norm else type(layer)).from_config(config)

    rebuilt = keras.models.clone_model(model, clone_function=clone_layer)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def for_training(model: keras.Model, compute_dtype: str = FLOAT32) -> keras.Model:
    """The network to train: fused batch norm, arithmetic in `compute_dtype` (one of `core.config.COMPUTE_DTYPES`)."""
    check_compute_dtype(compute_dtype)
    return _rebuilt(model, FusedBatchNormalization, compute_dtype)


def for_keeping(model: keras.Model) -> keras.Model:
    """The network to keep: Keras's own batch norm, float32 throughout, weights unchanged."""
    return _rebuilt(model, keras.layers.BatchNormalization, FLOAT32)
