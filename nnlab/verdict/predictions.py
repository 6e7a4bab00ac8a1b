"""What a trained model does on the test set, as DataFrames for the pages to draw.

The job computes these once when training ends (in its own thread), so pages only draw.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from PIL import Image

GRID = 70  # decision-boundary resolution per axis


@dataclass
class TestPredictions:
    outputs: np.ndarray  # softmax probabilities (n, classes) or standardized values (n, 1)
    grid: pd.DataFrame | None = None  # decision boundary for 2-input sets: x1, x2, value


def predict(model, dataset) -> TestPredictions:
    outputs = np.asarray(model.predict(dataset.x_test, batch_size=4096, verbose=0))
    grid = boundary_grid(model, dataset) if dataset.plane is not None else None
    return TestPredictions(outputs, grid)


def confusion(dataset, outputs: np.ndarray) -> pd.DataFrame:
    """Counts of (true class, predicted class), every pair present, for a heatmap."""
    k = dataset.n_classes
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (dataset.y_test, outputs.argmax(axis=1)), 1)
    names = dataset.class_names
    return pd.DataFrame([(names[t], names[p], int(counts[t, p])) for t in range(k) for p in range(k)],
                        columns=["true", "predicted", "count"])


def samples(dataset, outputs: np.ndarray, count: int = 24) -> pd.DataFrame:
    """Test examples, the misclassified first (most confident mistakes on top), then correct ones,
    with the softmax probabilities: "the machine thinks it is a 7 with 92 %"."""
    predicted = outputs.argmax(axis=1)
    confidence = outputs.max(axis=1)
    wrong = np.flatnonzero(predicted != dataset.y_test)
    right = np.flatnonzero(predicted == dataset.y_test)
    order = np.concatenate([wrong[np.argsort(-confidence[wrong])], right[np.argsort(confidence[right])]])[:count]
    names = dataset.class_names
    table = pd.DataFrame({
        "test example": order,
        "true": [names[dataset.y_test[i]] for i in order],
        "predicted": [names[predicted[i]] for i in order],
        "confidence": confidence[order],
        "correct": predicted[order] == dataset.y_test[order],
        "probabilities": [outputs[i].round(4).tolist() for i in order],
        "top guesses": [top_guesses(outputs[i], names) for i in order],
    })
    if dataset.image_shape is not None:
        table.insert(1, "image", [image_uri(dataset.x_test[i], dataset.image_shape) for i in order])
    return table


def percent(share: float) -> str:
    """92 %, but 99.65 % rather than "100 %" (and 0.3 % rather than "0 %"): only certainty is written 100 %."""
    for digits in range(4):
        text = f"{share * 100:.{digits}f} %"
        if share in (0.0, 1.0) or 0 < float(text[:-2]) < 100:
            return text
    return text


def top_guesses(probabilities: np.ndarray, class_names, count: int = 3) -> str:
    """The softmax's likeliest classes with their probabilities: "7: 92 % · 1: 5.1 % · 9: 2 %"."""
    best = np.argsort(-np.asarray(probabilities))[:count]
    return " · ".join(f"{class_names[i]}: {percent(float(probabilities[i]))}" for i in best)


def prediction_sentence(row) -> str:
    """"The machine thinks it is a 7 with 92 %", for one row of `samples`."""
    return f"The machine thinks it is {row['predicted']} with {percent(row['confidence'])}" + (
        "." if row["correct"] else f"; it is {row['true']}.")


def regression_points(dataset, outputs: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "true": dataset.to_original_target(dataset.y_test),
        "predicted": dataset.to_original_target(outputs[:, 0]),
    })


def boundary_grid(model, dataset) -> pd.DataFrame:
    """The model's output over the plane of the raw inputs: P(blue) or the predicted value."""
    raw = np.concatenate([dataset.plane_points("train"), dataset.plane_points("test")])
    low, high = raw.min(axis=0), raw.max(axis=0)
    pad = (high - low) * 0.05
    axes = [np.linspace(low[i] - pad[i], high[i] + pad[i], GRID) for i in range(2)]
    x1, x2 = np.meshgrid(*axes)
    points = np.column_stack([x1.ravel(), x2.ravel()])
    out = np.asarray(model.predict(dataset.model_inputs(points), batch_size=8192, verbose=0))
    value = out[:, 1] if dataset.task == "classification" else dataset.to_original_target(out[:, 0])
    half = [(a[1] - a[0]) / 2 for a in axes]  # each cell centred on the point its value was computed at
    return pd.DataFrame({"x1": points[:, 0] - half[0], "x2": points[:, 1] - half[1], "x1_end": points[:, 0] + half[0],
                         "x2_end": points[:, 1] + half[1], "value": value})


def boundary_points(dataset) -> pd.DataFrame:
    """Training and test points in raw coordinates, labelled, for the boundary picture."""
    parts = []
    for split, y in (("train", dataset.y_train), ("test", dataset.y_test)):
        raw = dataset.plane_points(split)
        label = [dataset.class_names[i] for i in y] if dataset.task == "classification" else dataset.to_original_target(y)
        parts.append(pd.DataFrame({"x1": raw[:, 0], "x2": raw[:, 1], "label": label, "split": split}))
    return pd.concat(parts, ignore_index=True)


def image_uri(pixels: np.ndarray, shape: tuple[int, int], size: int = 56) -> str:
    """A grey-scale image of one example as a data URI (for an image column)."""
    array = (np.clip(np.asarray(pixels).reshape(shape), 0, 1) * 255).astype(np.uint8)
    image = Image.fromarray(255 - array, mode="L").resize((size, size), Image.NEAREST)  # dark ink on white
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
