"""Prediction results: as JSON values (like MLflow's scoring server), as a table, as a file.

Shared by ``mlmanager predict`` and the Predict tab. numpy/pandas are imported inside the
functions (start-up stays light).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InvalidError


def to_jsonable(value: Any) -> Any:
    """Predictions as JSON values, like MLflow's scoring server (DataFrames as records)."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover - both are dependencies
        return value
    if isinstance(value, pd.DataFrame):
        return [
            {str(k): _scalar(v) for k, v in row.items()} for row in value.to_dict(orient="records")
        ]
    if isinstance(value, pd.Series):
        return [_scalar(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return _nested(value.tolist())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return _scalar(value)


def _nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_nested(v) for v in value]
    return _scalar(value)


def _scalar(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, (list, dict, str, bytes)):
        try:
            return _scalar(v.item())
        except (ValueError, TypeError):
            pass
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bytes):
        import base64

        return base64.b64encode(v).decode("ascii")
    return v


def write_predictions(predictions: Any, path: Path) -> None:
    """CSV (a table: DataFrame columns, or ``prediction`` / ``0..n``) or JSON ``{"predictions"}``."""

    from mlmanager.core.atomic import atomic_write

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
