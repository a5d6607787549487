"""Pickle-free data transfer between the app and the worker, both directions.

A frames folder is ``manifest.json`` plus ``.npy`` files written and read with
``allow_pickle=False``. Numeric, bool, complex, fixed-width string and datetime/timedelta
data go to ``.npy`` (datetimes as int64 plus a dtype tag, timezone kept); strings and other
object values go into the manifest as JSON lists with a small tagged codec (NaN, bytes,
nested arrays, maps, timestamps). Column names keep their JSON type (``"0"`` vs ``0``).

Supported values: pandas DataFrame and Series, numpy arrays, dicts of those (tensor
inputs), and plain JSON-able values. The read side validates everything: it may be reading
what a worker that ran trusted model code wrote.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
MAX_MANIFEST_BYTES = 256 << 20
MAX_TOTAL_BYTES = 8 << 30
MAX_COLUMNS = 100_000
MAX_DEPTH = 32
_FILE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}\.npy$")
_NPY_KINDS = set("biufcUSMm")
_TIME_RE = re.compile(r"^(datetime64|timedelta64)\[(ns|us|ms|s|m|h|D|W|M|Y)\]$")
_TZ_RE = re.compile(r"^[A-Za-z0-9_+\-:/. ]{1,64}$")
_EXT_DTYPES = {
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
    "Float64", "boolean", "string", "str", "category",
}


class FrameError(ValueError):
    """A value cannot be written as frames, or a frames folder is invalid."""


# ---------------------------------------------------------------- value codec (object data)


def encode_value(value: Any, depth: int = 0) -> Any:
    """Turn one Python/numpy/pandas value into tagged JSON."""
    if depth > MAX_DEPTH:
        raise FrameError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$f": "nan"}
        if math.isinf(value):
            return {"$f": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [encode_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"$d": [[encode_value(k, depth + 1), encode_value(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__.split(".")[0]
    if module == "numpy":
        import numpy as np

        if isinstance(value, np.ndarray):
            flat = value.ravel()
            if value.dtype.kind in "Mm":
                items = [None if np.isnat(v) else str(v) for v in flat]
            else:
                items = [encode_value(v, depth + 1) for v in flat.tolist()]
            return {"$a": items, "dtype": str(value.dtype), "shape": list(value.shape)}
        if isinstance(value, np.datetime64):
            return {"$t": None if np.isnat(value) else str(value)}
        if isinstance(value, np.generic):
            return encode_value(value.item(), depth + 1)
    if module == "pandas":
        import pandas as pd

        if value is pd.NaT:
            return {"$t": None}
        if value is pd.NA:
            return None
        if isinstance(value, pd.Timestamp):
            return {"$t": value.isoformat()}
        if isinstance(value, pd.Timedelta):
            return {"$td": int(value.value)}
    import datetime as dt

    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": int(value / dt.timedelta(microseconds=1)) * 1000}
    raise FrameError(f"cannot transfer a value of type {type(value).__module__}.{type(value).__qualname__}")


def decode_value(value: Any, depth: int = 0) -> Any:
    """Inverse of :func:`encode_value`; rejects anything it does not know."""
    if depth > MAX_DEPTH:
        raise FrameError("value nested too deeply")
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, list):
        return [decode_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$f"}:
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[_choice(value["$f"], ("nan", "inf", "-inf"))]
        if set(value) == {"$b"} and isinstance(value["$b"], str):
            try:
                return base64.b64decode(value["$b"], validate=True)
            except ValueError:
                raise FrameError("invalid base64 bytes value") from None
        if set(value) == {"$d"} and isinstance(value["$d"], list):
            out = {}
            for pair in value["$d"]:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise FrameError("invalid map entry")
                key = decode_value(pair[0], depth + 1)
                if isinstance(key, (list, dict)):
                    raise FrameError("map keys must be scalars")
                out[key] = decode_value(pair[1], depth + 1)
            return out
        if set(value) == {"$a", "dtype", "shape"}:
            import numpy as np

            dtype = _safe_dtype(value["dtype"], allow_object=True)
            shape = value["shape"]
            if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)):
                raise FrameError("invalid array shape")
            items = value["$a"]
            if not isinstance(items, list) or _product(shape) != len(items):
                raise FrameError("array values do not match the shape")
            if dtype.kind == "O":
                arr = np.empty(len(items), dtype=object)
                if items:
                    arr[:] = [decode_value(v, depth + 1) for v in items]
            elif dtype.kind in "Mm":
                arr = np.array([_checked_str(v, 64) if v is not None else None for v in items], dtype=dtype)
            else:
                arr = np.array([decode_value(v, depth + 1) for v in items], dtype=dtype)
            return arr.reshape(shape)
        if set(value) == {"$t"}:
            if value["$t"] is None:
                import pandas as pd

                return pd.NaT
            import pandas as pd

            try:
                return pd.Timestamp(_checked_str(value["$t"], 64))
            except ValueError:
                raise FrameError("invalid timestamp value") from None
        if set(value) == {"$td"} and isinstance(value["$td"], int):
            import pandas as pd

            return pd.Timedelta(value["$td"], unit="ns")
        raise FrameError("unknown tagged value")
    raise FrameError(f"unexpected JSON value of type {type(value).__name__}")


def _product(shape: list[int]) -> int:
    """math.prod (Python 3.8+) for a shape."""
    out = 1
    for n in shape:
        out *= n
    return out


def _choice(value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise FrameError(f"unexpected value {str(value)[:20]!r}")
    return value


def _checked_str(value: Any, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise FrameError("invalid string field")
    return value


def _safe_dtype(text: Any, *, allow_object: bool = False) -> Any:
    import numpy as np

    if not isinstance(text, str) or len(text) > 40:
        raise FrameError("invalid dtype")
    if text == "object" and allow_object:
        return np.dtype(object)
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise FrameError(f"unsupported dtype {text!r}") from None
    if dtype.kind not in _NPY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise FrameError(f"unsupported dtype {text!r}")
    return dtype


def _check_name(name: Any) -> Any:
    if name is None or isinstance(name, (str, bool)):
        return name
    if isinstance(name, int):
        return name
    if isinstance(name, float) and math.isfinite(name):
        return name
    module = type(name).__module__.split(".")[0]
    if module == "numpy":
        return _check_name(name.item())
    raise FrameError(f"column names must be strings or numbers, not {type(name).__name__}")


# ---------------------------------------------------------------- writing


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def save(self, array: Any) -> str:
        import numpy as np

        name = f"a{self.count}.npy"
        self.count += 1
        with open(self.folder / name, "xb") as fh:
            np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        return name

    def array(self, arr: Any) -> dict[str, Any]:
        kind = arr.dtype.kind
        if kind in "biufcUS" and arr.dtype.fields is None:
            return {"kind": "ndarray", "file": self.save(arr)}
        if kind in "Mm":
            return {"kind": "ndarray", "time": str(arr.dtype), "file": self.save(arr.view("i8"))}
        if kind == "O":
            return {"kind": "ndarray", "dtype": "object", "shape": list(arr.shape),
                    "values": [encode_value(v) for v in arr.ravel().tolist()]}
        raise FrameError(f"cannot transfer an array of dtype {arr.dtype}")

    def column(self, name: Any, series: Any) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        spec: dict[str, Any] = {"name": _check_name(name)}
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            spec["dtype"] = f"datetime64[{dtype.unit}]"
            spec["tz"] = str(dtype.tz)
            values = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            spec["file"] = self.save(values.view("i8"))
            return spec
        if isinstance(dtype, np.dtype):
            if dtype.kind in "biufc":
                spec["dtype"] = str(dtype)
                spec["file"] = self.save(series.to_numpy())
                return spec
            if dtype.kind in "Mm":
                spec["dtype"] = str(dtype)
                spec["file"] = self.save(series.to_numpy().view("i8"))
                return spec
            if dtype.kind == "O":
                spec["dtype"] = "object"
                spec["values"] = [encode_value(v) for v in series.tolist()]
                return spec
            raise FrameError(f"column {name!r}: cannot transfer dtype {dtype}")
        tag = str(dtype)
        if tag.startswith("string") or tag == "str":
            spec["dtype"] = "str" if tag == "str" else "string"
            spec["values"] = [None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))) else str(v)
                              for v in series.tolist()]
            return spec
        if tag in _EXT_DTYPES:
            spec["dtype"] = tag
            if tag == "category":
                spec["values"] = [encode_value(v) for v in series.astype(object).tolist()]
            else:
                spec["values"] = [None if v is pd.NA else encode_value(v) for v in series.tolist()]
            return spec
        raise FrameError(f"column {name!r}: cannot transfer dtype {tag}")

    def payload(self, obj: Any, depth: int = 0) -> dict[str, Any]:
        if depth > 4:
            raise FrameError("value nested too deeply")
        module = type(obj).__module__.split(".")[0]
        if module == "pandas":
            import pandas as pd

            if isinstance(obj, pd.DataFrame):
                if obj.shape[1] > MAX_COLUMNS:
                    raise FrameError("too many columns")
                cols = [self.column(name, obj.iloc[:, i]) for i, name in enumerate(obj.columns)]
                return {"kind": "dataframe", "nrows": int(obj.shape[0]), "columns": cols}
            if isinstance(obj, pd.Series):
                return {"kind": "series", "nrows": int(obj.shape[0]), "column": self.column(obj.name, obj)}
        if module == "numpy":
            import numpy as np

            if isinstance(obj, np.ndarray):
                return self.array(obj)
            if isinstance(obj, np.generic):
                return {"kind": "json", "value": encode_value(obj)}
        if module == "scipy":
            raise FrameError("sparse matrices cannot be transferred; convert them to arrays first")
        if isinstance(obj, dict) and obj and all(
            type(v).__module__.split(".")[0] in ("numpy", "pandas") for v in obj.values()
        ):
            return {"kind": "dict", "items": [[_check_name(k), self.payload(v, depth + 1)] for k, v in obj.items()]}
        return {"kind": "json", "value": encode_value(obj)}


def write_frames(obj: Any, folder: str | os.PathLike[str]) -> Path:
    """Write ``obj`` into an empty (or new) folder; returns the folder."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    writer = _Writer(path)
    manifest = {"format": FORMAT_VERSION, "payload": writer.payload(obj)}
    text = json.dumps(manifest, allow_nan=False, ensure_ascii=True, separators=(",", ":"))
    (path / MANIFEST).write_text(text, encoding="ascii")
    return path


# ---------------------------------------------------------------- reading


class _Reader:
    def __init__(self, folder: Path, max_total: int) -> None:
        self.folder = folder
        self.max_total = max_total
        self.total = 0
        self.used: set[str] = set()

    def load(self, name: Any) -> Any:
        import numpy as np

        if not isinstance(name, str) or not _FILE_RE.match(name) or name in self.used:
            raise FrameError("invalid or repeated data file name in the manifest")
        self.used.add(name)
        fd = _open_regular(self.folder / name)
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            self.total += size
            if self.total > self.max_total:
                raise FrameError("the frames are larger than the size limit")
            try:
                arr = np.load(fh, allow_pickle=False)
            except (ValueError, OSError, EOFError) as exc:
                raise FrameError(f"invalid data file {name}: {exc}") from None
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in _NPY_KINDS or arr.dtype.fields:
            raise FrameError(f"data file {name} has an unsupported dtype")
        return arr

    def array(self, spec: dict[str, Any]) -> Any:
        import numpy as np

        if "file" in spec:
            _only(spec, {"kind", "file", "time"})
            arr = self.load(spec["file"])
            if "time" in spec:
                if not isinstance(spec["time"], str) or not _TIME_RE.match(spec["time"]) or arr.dtype != np.int64:
                    raise FrameError("invalid time array")
                arr = arr.view(spec["time"])
            return arr
        _only(spec, {"kind", "dtype", "shape", "values"})
        if spec.get("dtype") != "object":
            raise FrameError("inline arrays must have dtype object")
        shape = spec.get("shape")
        values = spec.get("values")
        if not (isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
            raise FrameError("invalid array shape")
        if not isinstance(values, list) or _product(shape) != len(values):
            raise FrameError("array values do not match the shape")
        arr = np.empty(len(values), dtype=object)
        arr[:] = [decode_value(v) for v in values] if values else []
        return arr.reshape(shape)

    def column(self, spec: Any, nrows: int) -> tuple[Any, Any]:
        import numpy as np
        import pandas as pd

        if not isinstance(spec, dict):
            raise FrameError("a column spec must be an object")
        _only(spec, {"name", "dtype", "file", "values", "tz"})
        name = spec.get("name")
        if not (name is None or isinstance(name, (str, int, float, bool))):
            raise FrameError("column names must be JSON scalars")
        if isinstance(name, str) and len(name) > 10_000:
            raise FrameError("column name too long")
        dtype = spec.get("dtype")
        if not isinstance(dtype, str):
            raise FrameError("column dtype missing")
        if "file" in spec:
            arr = self.load(spec["file"])
            if arr.ndim != 1 or arr.shape[0] != nrows:
                raise FrameError(f"column {name!r} has the wrong length")
            m = _TIME_RE.match(dtype)
            if m:
                if arr.dtype != np.int64:
                    raise FrameError("time columns must be stored as int64")
                series = pd.Series(arr.view(dtype), copy=False)
                if "tz" in spec:
                    tz = spec["tz"]
                    if not isinstance(tz, str) or not _TZ_RE.match(tz) or m.group(1) != "datetime64":
                        raise FrameError("invalid time zone")
                    try:
                        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
                    except Exception:
                        raise FrameError(f"unknown time zone {tz!r}") from None
                return name, series
            if "tz" in spec:
                raise FrameError("tz on a non-time column")
            if str(arr.dtype) != dtype:
                raise FrameError(f"column {name!r}: data does not match its dtype tag")
            return name, pd.Series(arr, copy=False)
        values = spec.get("values")
        if not isinstance(values, list) or len(values) != nrows:
            raise FrameError(f"column {name!r} has the wrong length")
        if dtype == "object":
            arr = np.empty(nrows, dtype=object)
            if nrows:
                arr[:] = [decode_value(v) for v in values]
            return name, pd.Series(arr, dtype=object, copy=False)
        if dtype in ("str", "string"):
            if not all(v is None or isinstance(v, str) for v in values):
                raise FrameError(f"column {name!r}: string column holds non-strings")
            if dtype == "str" and int(pd.__version__.split(".")[0]) < 3:
                return name, pd.Series([np.nan if v is None else v for v in values], dtype=object)
            return name, pd.Series(values, dtype=dtype)
        if dtype in _EXT_DTYPES:
            decoded = [decode_value(v) for v in values]
            try:
                if dtype == "category":
                    return name, pd.Series(decoded, dtype=object).astype("category")
                return name, pd.Series(pd.array(decoded, dtype=dtype))
            except (TypeError, ValueError) as exc:
                raise FrameError(f"column {name!r}: {exc}") from None
        raise FrameError(f"column {name!r}: unsupported dtype {dtype!r}")

    def payload(self, spec: Any, depth: int = 0) -> Any:
        if depth > 4 or not isinstance(spec, dict):
            raise FrameError("invalid value spec")
        kind = spec.get("kind")
        if kind == "dataframe":
            import pandas as pd

            _only(spec, {"kind", "nrows", "columns"})
            nrows = _count(spec.get("nrows"))
            cols = spec.get("columns")
            if not isinstance(cols, list) or len(cols) > MAX_COLUMNS:
                raise FrameError("invalid column list")
            pairs = [self.column(c, nrows) for c in cols]
            if not pairs:
                return pd.DataFrame(index=pd.RangeIndex(nrows))
            names = [n for n, _ in pairs]
            dtypes = {s.dtype for _, s in pairs}
            if len(dtypes) == 1 and getattr(next(iter(dtypes)), "kind", "O") in "biufc":
                # one numeric dtype: a single 2-D block, as read_csv would give
                import numpy as np

                block = np.empty((nrows, len(pairs)), dtype=next(iter(dtypes)), order="F")
                for i, (_, series) in enumerate(pairs):
                    block[:, i] = series.to_numpy()
                frame = pd.DataFrame(block, copy=False)
            else:
                frame = pd.DataFrame({i: s for i, (_, s) in enumerate(pairs)})
            frame.columns = pd.Index(names, dtype=object) if any(
                not isinstance(n, str) for n in names) else names
            return frame
        if kind == "series":
            _only(spec, {"kind", "nrows", "column"})
            name, series = self.column(spec.get("column"), _count(spec.get("nrows")))
            series.name = name
            return series
        if kind == "ndarray":
            return self.array(spec)
        if kind == "dict":
            _only(spec, {"kind", "items"})
            items = spec.get("items")
            if not isinstance(items, list) or len(items) > MAX_COLUMNS:
                raise FrameError("invalid dict value")
            out = {}
            for pair in items:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                    raise FrameError("invalid dict value entry")
                out[pair[0]] = self.payload(pair[1], depth + 1)
            return out
        if kind == "json":
            _only(spec, {"kind", "value"})
            return decode_value(spec.get("value"))
        raise FrameError(f"unknown value kind {str(kind)[:20]!r}")


def _only(spec: dict[str, Any], allowed: set[str]) -> None:
    if set(spec) - allowed:
        raise FrameError(f"unexpected fields {sorted(set(spec) - allowed)[:5]}")


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**40:
        raise FrameError("invalid row count")
    return value


def _open_regular(path: Path) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FrameError(f"cannot open {path.name}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FrameError(f"{path.name} is not a regular file")
    return fd


def read_frames(
    folder: str | os.PathLike[str],
    *,
    max_manifest_bytes: int = MAX_MANIFEST_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
) -> Any:
    """Read and validate a frames folder written by :func:`write_frames`."""
    path = Path(folder)
    fd = _open_regular(path / MANIFEST)
    with os.fdopen(fd, "rb") as fh:
        if os.fstat(fh.fileno()).st_size > max_manifest_bytes:
            raise FrameError("manifest is larger than the size limit")
        raw = fh.read(max_manifest_bytes + 1)
    try:
        manifest = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FrameError(f"invalid manifest: {str(exc)[:200]}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise FrameError("unsupported manifest format")
    _only(manifest, {"format", "payload"})
    return _Reader(path, max_total_bytes).payload(manifest.get("payload"))


def _reject_constant(name: str) -> Any:
    raise FrameError(f"{name} is not allowed in a manifest")
