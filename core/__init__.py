"""Digit Lab's engine: MNIST data, CNN architectures, training, evaluation and preprocessing.

Pure Python (numpy, Keras, OpenCV). Nothing here imports Streamlit, so every piece runs headless.

The TensorFlow boundary: importing TensorFlow (Keras loads it) costs about 3 s, which a page that
only lists runs, shows a form or reads a drawing must not pay. `TENSORFLOW_MODULES` below is the
one list of project files that load it when imported. Every other module of core/, ui/, pages/,
Home.py and bench/ must not, neither directly nor through the project modules it imports at its
top; it may import TensorFlow inside a function, where the cost is paid on first use.
tests/test_tensorflow_boundary.py holds the whole project to this list, both ways.
"""

TENSORFLOW_MODULES: dict[str, str] = {
    # path from the project root: why it needs TensorFlow as soon as it loads
    "core/architectures.py": "builds the Keras models (their recipes are in core/recipes.py, without Keras)",
    "core/augmentation.py": "distorts digits with TensorFlow ops inside the input pipeline",
    "core/training.py": "fits a model",
    "core/fused_batch_norm.py": "batch normalisation through TensorFlow's fused op while training",
    "core/training_network.py": "rebuilds a network in its training form and back",
    "core/not_a_digit_output.py": "fits the \"not a digit\" output on a trained network's features",
    "core/inspection.py": "feature-map sub-models",
    "core/embedding.py": "penultimate-layer sub-models",
    "core/explain.py": "Grad-CAM and saliency gradients",
    "ui/loaders/explainers.py": "caches core.inspection's, core.embedding's and core.explain's sub-models",
    "ui/widgets/grad_cam.py": "the Grad-CAM digit picker",
    "ui/views/explanation.py": "saliency, Grad-CAM and nearest neighbours of one digit",
    "pages/Misclassified.py": "Grad-CAM of a mistake",
    "pages/Feature_maps.py": "feature maps, saliency and neighbours",
    "pages/Insight.py": "embedding and Grad-CAM",
    "bench/train_timing.py": "times a training",
}
