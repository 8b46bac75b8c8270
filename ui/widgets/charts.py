"""Charts the pages draw: Plotly figures (learning curves, the confusion matrix, feature maps) and the
probability bars (Vega-Lite)."""

from __future__ import annotations

import base64
from typing import Sequence

import cv2
import numpy as np
import plotly.colors
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.calibration import ConfidenceHistogram, ReliabilityDiagram
from core.mnist_format import NUM_CLASSES
from core.progress import EpochMetrics

TRAIN_COLOUR = "#1f77b4"
VALIDATION_COLOUR = "#ff7f0e"
BATCH_COLOUR = "rgba(31, 119, 180, 0.35)"


def smooth(values: Sequence[float], weight: float = 0.9) -> list[float]:
    """Exponential moving average, as TensorBoard smooths noisy per-batch losses."""
    smoothed, last = [], None
    for value in values:
        if not np.isfinite(value):
            smoothed.append(value)
            continue
        last = value if last is None else weight * last + (1 - weight) * value
        smoothed.append(last)
    return smoothed


def learning_curves(
    history: Sequence[EpochMetrics], batch_losses: Sequence[float] = (), batch_positions: Sequence[float] = ()
) -> go.Figure:
    """Loss and accuracy per epoch, train and validation, plus a smoothed line of the recorded batches'
    losses, each placed at its position in epochs (batches are sampled, so positions are not evenly spaced)."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    epochs = [metrics.epoch for metrics in history]
    if batch_losses:
        figure.add_trace(
            go.Scatter(x=list(batch_positions), y=smooth(batch_losses), name="batch loss (smoothed)", line=dict(color=BATCH_COLOUR)),
            row=1,
            col=1,
        )
    for name, values, colour, column in (
        ("train loss", [m.loss for m in history], TRAIN_COLOUR, 1),
        ("validation loss", [m.val_loss for m in history], VALIDATION_COLOUR, 1),
        ("train accuracy", [m.accuracy for m in history], TRAIN_COLOUR, 2),
        ("validation accuracy", [m.val_accuracy for m in history], VALIDATION_COLOUR, 2),
    ):
        figure.add_trace(
            go.Scatter(x=epochs, y=values, name=name, mode="lines+markers", line=dict(color=colour)),
            row=1,
            col=column,
        )
    figure.update_xaxes(title_text="epoch", rangemode="tozero")
    figure.update_layout(height=340, margin=dict(t=40, b=10, l=10, r=10), legend=dict(orientation="h", y=-0.25))
    return figure


def probability_bars(probabilities: np.ndarray, highlight: int | None = None) -> dict:
    """The class probabilities as bars (ten digits, and "not a digit" when the model has it), the
    predicted (or chosen) class highlighted: a Vega-Lite spec for `st.vega_lite_chart`.

    Vega-Lite, not Plotly: the spec is plain data, while building a Plotly figure validates every
    property, the largest share of a canvas answer's server time after the page frame.
    """
    highlight = int(np.argmax(probabilities)) if highlight is None else highlight
    names = [str(digit) for digit in range(NUM_CLASSES)] + ["not a digit"] * (len(probabilities) - NUM_CLASSES)
    bars = [
        {"class": name, "probability": float(p), "shown": f"{p:.0%}" if p >= 0.01 else "", "chosen": index == highlight}
        for index, (name, p) in enumerate(zip(names, probabilities))
    ]
    x = {"field": "class", "type": "nominal", "sort": None, "title": "digit", "axis": {"labelAngle": 0}}
    y = {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1.1]}, "axis": {"format": ".0%"}}
    bar = {"mark": "bar", "encoding": {"color": {"condition": {"test": "datum.chosen", "value": VALIDATION_COLOUR}, "value": TRAIN_COLOUR}}}
    label = {"mark": {"type": "text", "dy": -8}, "encoding": {"text": {"field": "shown"}}}
    # The bars' data sits in a layer, not at the top of the spec: Streamlit turns top-level data into an
    # Arrow table through pandas, most of the chart's server time (issue 17), while eleven rows travel
    # as well inside the spec itself.
    return {"height": 240, "layer": [{"data": {"values": bars}, "encoding": {"x": x, "y": y}, "layer": [bar, label]}]}


def confusion_heatmap(matrix: np.ndarray, normalised: bool) -> go.Figure:
    """The confusion matrix with the diagonal greyed out so the errors carry the colour scale."""
    values = matrix.astype(float)
    off_diagonal = values.copy()
    np.fill_diagonal(off_diagonal, np.nan)
    text = [[f"{v:.1%}" if normalised else f"{int(v)}" for v in row] for row in values]
    digits = [str(d) for d in range(10)]
    figure = go.Figure(
        go.Heatmap(
            z=off_diagonal,
            x=digits,
            y=digits,
            text=text,
            texttemplate="%{text}",
            colorscale="Reds",
            hovertemplate="true %{y} → predicted %{x}: %{text}<extra></extra>",
            colorbar=dict(title="share" if normalised else "count"),
        )
    )
    diagonal = np.full_like(values, np.nan)
    np.fill_diagonal(diagonal, 1.0)
    figure.add_trace(
        go.Heatmap(
            z=diagonal,
            x=digits,
            y=digits,
            colorscale=[[0, "#e8e8e8"], [1, "#e8e8e8"]],
            showscale=False,
            text=text,
            texttemplate="%{text}",
            hovertemplate="true %{y}, correct: %{text}<extra></extra>",
        )
    )
    figure.update_layout(
        height=520,
        margin=dict(t=10, b=10, l=10, r=10),
        xaxis=dict(title="predicted digit", side="top", type="category"),
        yaxis=dict(title="true digit", autorange="reversed", type="category"),
    )
    return figure


def channel_mosaic(mosaic: np.ndarray, channel_of_pixel: np.ndarray) -> go.Figure:
    """A layer's channels tiled into one heatmap; hovering names the channel and its value."""
    figure = go.Figure(
        go.Heatmap(
            z=mosaic,
            customdata=channel_of_pixel,
            colorscale="Viridis",
            showscale=False,
            hovertemplate="channel %{customdata}: %{z:.2f}<extra></extra>",
        )
    )
    rows, columns = mosaic.shape
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    figure.update_layout(height=max(140, int(700 * rows / columns)), margin=dict(t=0, b=0, l=0, r=0))
    return figure


def single_channel(activations: np.ndarray, title: str) -> go.Figure:
    """One channel enlarged, with a colour bar of its raw activation values."""
    figure = go.Figure(go.Heatmap(z=activations, colorscale="Viridis", hovertemplate="x %{x}, y %{y}: %{z:.3f}<extra></extra>"))
    figure.update_yaxes(autorange="reversed", scaleanchor="x")
    figure.update_layout(title=title, height=320, width=360, margin=dict(t=40, b=0, l=0, r=0))
    return figure


def compare_curves(histories: dict[str, Sequence[EpochMetrics]]) -> go.Figure:
    """Validation loss and accuracy of several runs overlaid, one colour per run."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Validation loss", "Validation accuracy"))
    palette = plotly.colors.qualitative.Plotly
    for number, (run_id, history) in enumerate(histories.items()):
        epochs = [metrics.epoch for metrics in history]
        line = dict(color=palette[number % len(palette)])
        figure.add_trace(go.Scatter(x=epochs, y=[m.val_loss for m in history], name=run_id, legendgroup=run_id, line=line), row=1, col=1)
        figure.add_trace(
            go.Scatter(
                x=epochs, y=[m.val_accuracy for m in history], name=run_id, legendgroup=run_id, showlegend=False, line=line
            ),
            row=1,
            col=2,
        )
    figure.update_xaxes(title_text="epoch")
    figure.update_layout(height=340, margin=dict(t=40, b=10, l=10, r=10), legend=dict(orientation="h", y=-0.25))
    return figure


def reliability_diagram(diagram: ReliabilityDiagram) -> go.Figure:
    """Accuracy against confidence per bin; a calibrated model's bars sit on the diagonal."""
    centres = (diagram.edges[:-1] + diagram.edges[1:]) / 2
    figure = go.Figure(
        go.Bar(
            x=centres,
            y=diagram.accuracy,
            width=np.diff(diagram.edges),
            name="accuracy",
            marker_color=TRAIN_COLOUR,
            customdata=diagram.counts,
            hovertemplate="confidence %{x:.2f}: accuracy %{y:.1%} over %{customdata} images<extra></extra>",
        )
    )
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", line=dict(dash="dash", color="grey")))
    figure.update_layout(
        height=340, margin=dict(t=10, b=10, l=10, r=10), xaxis=dict(title="confidence", range=[0, 1]),
        yaxis=dict(title="accuracy", range=[0, 1]), legend=dict(orientation="h", y=-0.25),
    )
    return figure


def confidence_histogram_chart(histogram: ConfidenceHistogram) -> go.Figure:
    """How confident the model is when right and when wrong (log scale: right answers dominate)."""
    centres = (histogram.edges[:-1] + histogram.edges[1:]) / 2
    figure = go.Figure(
        [
            go.Bar(x=centres, y=histogram.counts_correct, name="correct", marker_color=TRAIN_COLOUR),
            go.Bar(x=centres, y=histogram.counts_wrong, name="wrong", marker_color=VALIDATION_COLOUR),
        ]
    )
    figure.update_layout(
        barmode="group", height=340, margin=dict(t=10, b=10, l=10, r=10),
        xaxis=dict(title="confidence"), yaxis=dict(title="images", type="log"), legend=dict(orientation="h", y=-0.25),
    )
    return figure


def embedding_scatter(
    points: np.ndarray, labels: np.ndarray, predicted: np.ndarray, drawing: np.ndarray | None
) -> go.Figure:
    """Test digits in the network's feature space (2-D PCA), coloured by true digit, mistakes as crosses."""
    palette = plotly.colors.qualitative.Plotly
    wrong = labels != predicted
    figure = go.Figure()
    for digit in range(10):
        chosen = np.flatnonzero((labels == digit) & ~wrong)
        figure.add_trace(
            go.Scattergl(
                x=points[chosen, 0], y=points[chosen, 1], mode="markers", name=str(digit),
                marker=dict(size=4, color=palette[digit], opacity=0.6), customdata=chosen,
                hovertemplate="test #%{customdata}, digit " + str(digit) + "<extra></extra>",
            )
        )
    mistakes = np.flatnonzero(wrong)
    figure.add_trace(
        go.Scattergl(
            x=points[mistakes, 0], y=points[mistakes, 1], mode="markers", name="misclassified",
            marker=dict(size=9, symbol="x", color="black"), customdata=mistakes,
            text=[f"true {labels[index]}, predicted {predicted[index]}" for index in mistakes],
            hovertemplate="test #%{customdata}: %{text}<extra></extra>",
        )
    )
    if drawing is not None:
        figure.add_trace(
            go.Scatter(x=[drawing[0]], y=[drawing[1]], mode="markers", name="your drawing",
                       marker=dict(size=18, symbol="star", color="gold", line=dict(width=1, color="black")))
        )
    figure.update_layout(height=560, margin=dict(t=10, b=10, l=10, r=10), xaxis_title="component 1", yaxis_title="component 2")
    return figure


def _thumbnail_uri(image: np.ndarray) -> str:
    """A (28, 28) white-on-black digit as a PNG data URI: dark ink, transparent paper."""
    ink = image.astype(np.uint8)
    bgra = np.dstack([np.zeros_like(ink)] * 3 + [ink])  # black ink whose opacity is the pixel value
    return "data:image/png;base64," + base64.b64encode(cv2.imencode(".png", bgra)[1].tobytes()).decode("ascii")


def add_digit_thumbnails(figure: go.Figure, points: np.ndarray, images: np.ndarray, size_fraction: float = 0.045) -> None:
    """Draws each digit's own image at its point: the map then shows what lives where.

    Plotly's hover labels cannot hold images, so the images are drawn in place instead.

    Args:
        figure: an `embedding_scatter` figure, changed in place.
        points: (n, 2) coordinates of the digits to draw.
        images: (n, 28, 28) uint8 digits, ink bright.
        size_fraction: thumbnail width as a share of the x range.
    """
    size = size_fraction * float(np.ptp(points[:, 0]) or 1.0)
    for (x, y), image in zip(points, images):
        figure.add_layout_image(
            source=_thumbnail_uri(image), x=float(x), y=float(y), xref="x", yref="y",
            sizex=size, sizey=size, xanchor="center", yanchor="middle", sizing="contain", layer="above",
        )


def per_class_difference(difference: np.ndarray, name_a: str, name_b: str) -> go.Figure:
    """Per-digit accuracy of B minus A, in percentage points: green where B is better, red where A is."""
    points = np.nan_to_num(difference) * 100
    figure = go.Figure(
        go.Bar(
            x=[str(digit) for digit in range(len(points))],
            y=points,
            marker_color=["#2ca02c" if value >= 0 else "#d62728" for value in points],
            text=[f"{value:+.2f}" for value in points],
            textposition="outside",
        )
    )
    figure.update_layout(
        height=280,
        margin=dict(t=30, b=10, l=10, r=10),
        title=dict(text=f"accuracy of {name_b} minus {name_a}, per true digit", font=dict(size=13)),
        yaxis=dict(title="percentage points", zeroline=True),
        xaxis=dict(title="true digit", type="category"),
    )
    return figure


def robustness_curves(results: dict[str, Sequence]) -> go.Figure:
    """Accuracy against each perturbation's strength, one small chart per perturbation, one line per run.

    Args:
        results: run name -> its `core.robustness.Curve`s, every run with the same perturbations in the same order.
    """
    names = list(results)
    curves_of_first = results[names[0]]
    columns = 4
    figure = make_subplots(
        rows=-(-len(curves_of_first) // columns), cols=columns,
        subplot_titles=[f"{curve.name} ({curve.unit})" for curve in curves_of_first],
    )
    palette = plotly.colors.qualitative.Plotly
    for number, name in enumerate(names):
        for position, curve in enumerate(results[name]):
            figure.add_trace(
                go.Scatter(
                    x=list(curve.strengths), y=list(curve.accuracy), mode="lines+markers", name=name,
                    line=dict(color=palette[number % len(palette)]), legendgroup=name, showlegend=position == 0,
                ),
                row=position // columns + 1,
                col=position % columns + 1,
            )
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%")
    figure.update_layout(height=520, margin=dict(t=40, b=10, l=10, r=10), legend=dict(orientation="h", y=-0.08))
    return figure


def filter_grid(kernels: np.ndarray, columns: int = 8) -> go.Figure:
    """First-layer filters as small images: red weights answer to ink, blue ones to its absence, white is zero."""
    figure = px.imshow(
        kernels, facet_col=0, facet_col_wrap=columns, facet_col_spacing=0.01, facet_row_spacing=0.03,
        zmin=-1, zmax=1, color_continuous_scale="RdBu_r",
    )
    figure.for_each_annotation(lambda annotation: annotation.update(text=""))  # the facets' "facet_col=3" labels
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    rows = -(-len(kernels) // columns)  # ceiling division
    figure.update_layout(height=40 + 60 * rows, margin=dict(t=10, b=10, l=0, r=0), coloraxis_showscale=False)
    return figure


def per_class_curves(epochs: Sequence[int], accuracy: np.ndarray, highlighted: Sequence[int]) -> go.Figure:
    """Validation accuracy of each digit over the epochs, one line per digit; `highlighted` digits drawn bold."""
    palette = plotly.colors.qualitative.Plotly
    figure = go.Figure()
    for digit in range(accuracy.shape[1]):
        bold = digit in highlighted
        figure.add_trace(
            go.Scatter(
                x=list(epochs), y=accuracy[:, digit], name=str(digit), mode="lines+markers",
                line=dict(color=palette[digit % len(palette)], width=4 if bold else 1.5), opacity=1.0 if bold else 0.5,
            )
        )
    figure.update_layout(
        height=320, margin=dict(t=30, b=10, l=10, r=10), legend=dict(title="digit"),
        xaxis=dict(title="epoch", dtick=1), yaxis=dict(title="validation accuracy", tickformat=".0%"),
    )
    return figure
