"""Digit Lab's engine: MNIST data, CNN architectures, training, evaluation and preprocessing.

Pure Python (numpy, Keras, OpenCV). Nothing here imports Streamlit, so every piece runs headless.
"""
