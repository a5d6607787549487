"""Prediction results: as JSON values (like MLflow's scoring server), as a table, as a file.

Shared by ``mlmanager predict`` and the Predict tab. numpy/pandas are imported inside the
functions (start-up stays light).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import InvalidError
from mlmanager.core.jsonsafe import to_jsonable


def write_predictions(predictions: Any, path: Path) -> None:
    """CSV (a table: DataFrame columns, or ``prediction`` / ``0..n``) or JSON ``{"predictions"}``."""

    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps({"predictions": to_jsonable(predictions)}, allow_nan=False)
    elif suffix == ".csv":
        frame = predictions_frame(predictions)
        text = frame.to_csv(index=False)
    else:
        raise InvalidError(f"unknown output format {suffix!r}: use .csv or .json", str(path))
    atomic_write(path, text.encode("utf-8"), backup=False)


def predictions_frame(predictions: Any):
    """Predictions as a DataFrame: what the CSV export and the app's results table show."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame(name=predictions.name if predictions.name is not None else "prediction")
    if isinstance(predictions, dict):
        return pd.DataFrame({str(k): list(np.asarray(v).reshape(len(v), -1)) if np.ndim(v) > 1 else v
                             for k, v in predictions.items()})
    array = np.asarray(predictions)
    if array.ndim <= 1:
        return pd.DataFrame({"prediction": array.reshape(-1)})
    if array.ndim == 2:
        return pd.DataFrame(array, columns=[str(i) for i in range(array.shape[1])])
    return pd.DataFrame({"prediction": [row.tolist() for row in array]})
