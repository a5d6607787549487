"""An in-memory input (DataFrame, arrays, objects) as the body of an MLflow scoring server's
``POST /invocations`` request (``dataframe_split`` / ``inputs`` + ``params``), and as a ``curl`` command.
"""

from __future__ import annotations

import base64
import json
import math
import shlex
from typing import Any

from mlmanager.core.jsonsafe import json_default

INVOCATIONS_URL = "http://127.0.0.1:5000/invocations"


def _clean(value: Any) -> Any:
    """NaN/inf -> None, recursively (JSON has no NaN; MLflow's server reads null as NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def frame_split_json(frame: Any) -> str:
    """``{"columns": [...], "data": [[...]]}`` for a DataFrame, every value exact.

    Floats keep their shortest round-trip repr (float32 ones as numpy prints them: ``12.9``,
    not ``12.8999996185``), NaN/NaT become null, datetimes ISO text, bytes base64.
    """
    names = [c if isinstance(c, (str, int, float, bool)) or c is None else str(c) for c in frame.columns]
    columns = [_column_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    rows = [list(r) for r in zip(*columns)] if columns else [[] for _ in range(len(frame))]
    return json.dumps({"columns": names, "data": rows}, default=json_default, allow_nan=False,
                      separators=(",", ":"))


def _column_values(series: Any) -> list[Any]:
    import numpy as np

    dtype = series.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, np.dtype) and kind == "f":
        arr = series.to_numpy()
        values = arr.astype(str).astype(np.float64).tolist() if arr.dtype.itemsize < 8 else arr.tolist()
        if np.isnan(arr).any() or np.isinf(arr).any():
            values = [None if not math.isfinite(v) else v for v in values]
        return values
    if isinstance(dtype, np.dtype) and kind in "iub":
        return series.to_numpy().tolist()
    if kind == "M" or str(dtype).startswith("datetime64"):
        return [None if v is None or v != v else v.isoformat() for v in series.tolist()]
    return [_plain(v) for v in series.tolist()]


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if type(v).__name__ in ("NAType", "NaTType"):
        return None
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if hasattr(v, "tolist") and not hasattr(v, "isoformat"):
        return _plain(v.tolist())
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def serving_body_text(value: Any, params: dict[str, Any] | None = None) -> str:
    """The input as the body of a ``POST /invocations`` (application/json) request."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        body = '{"dataframe_split": ' + frame_split_json(value)
    elif isinstance(value, np.ndarray):
        body = '{"inputs": ' + json.dumps(_clean(value.tolist()), default=json_default, allow_nan=False)
    elif isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values()):
        body = '{"inputs": ' + json.dumps(
            {str(k): _clean(v.tolist()) for k, v in value.items()}, default=json_default, allow_nan=False
        )
    else:
        body = '{"inputs": ' + json.dumps(_clean(value), default=json_default, allow_nan=False)
    if params:
        body += ', "params": ' + json.dumps(_clean(params), default=json_default, allow_nan=False)
    return body + "}"


def curl_command(body_text: str, url: str = INVOCATIONS_URL) -> str:
    """A ready ``curl`` command that posts ``body_text`` to a local MLflow model server."""
    return (
        f"curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"--data {shlex.quote(body_text)}"
    )
