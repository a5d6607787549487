"""Signature inference that reproduces ``mlflow.models.infer_signature`` (3.17.2) without mlflow.

The rules are MLflow's own (``mlflow/types/utils.py``: ``_infer_schema``, ``_infer_pandas_column``,
``_infer_datatype``, ``_infer_param_schema``; spec §4.7/§4.8), including its quirks:

* if any column of an input fails, the *whole* schema becomes ``[{"type": "any"}]`` with a
  warning (MLflow logs it and goes on);
* an object column is first passed through ``Series.infer_objects()`` (``[1, None]`` -> double);
* missing values (``None``/``NaN``/``pd.NA``/``NaT``) make a column ``required: false``;
* an inferred schema with integer columns carries MLflow's "integers cannot hold NaN" hint.

pandas and numpy are imported lazily (only when inference runs). Not reproduced: pydantic
objects and dataclass instances (refused with InvalidError), Spark DataFrames. One deliberate
difference: numpy values inside object param defaults are turned into JSON values (MLflow
infers them but then cannot serialise the signature).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import warnings as _warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InvalidError, ModelReadError
from mlmanager.core.inputs.reader import read_input
from mlmanager.core.model.mlmodel import ModelDocument, load_model
from mlmanager.core.signature.examples import load_input_example
from mlmanager.core.signature.schema import (
    AnyType,
    ArrayType,
    ColSpec,
    MapType,
    ObjectType,
    ParamSchema,
    ParamSpec,
    Property,
    ScalarType,
    Schema,
    Signature,
    Spec,
    TensorSpec,
    ValueType,
)

INTEGER_WARNING = (
    "{section} contain integer column(s). Integer columns cannot hold missing values: if NaN "
    "can arrive at inference time the data is encoded as floats and fails schema enforcement. "
    "Infer from a realistic sample that includes missing values, or declare such columns as "
    "double (MLflow prints the same hint)."
)
FALLBACK_WARNING = (
    "could not infer the {section} schema ({reason}); like MLflow, the whole {section} schema "
    'falls back to [{{"type": "any"}}], which disables type checks for every {kind}'
)
MULTIPLE_TYPES_ERROR = "expected all values in the list to be of the same type"

_DATA_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".parquet", ".pq", ".npy")


class _InferenceError(Exception):
    """One input could not be inferred (MLflow then falls back to AnyType for it)."""


class _Refused(InvalidError):
    """Input MLflow refuses outright (no fallback)."""


# ---------------------------------------------------------------------------------------------
# Public API


def infer_signature(
    inputs: Any = None, outputs: Any = None, params: Mapping[str, Any] | None = None
) -> tuple[Signature, list[str]]:
    """Like ``mlflow.models.infer_signature``: returns the signature and the warnings MLflow gives.

    Raises InvalidError for params that cannot be inferred (MLflow raises too) and for inputs
    MLflow refuses outright; any other failure falls back to ``any`` with a warning.
    """
    if inputs is None and outputs is None and not _truthy(params):
        raise InvalidError("nothing to infer from: give inputs, outputs or params")
    msgs: list[str] = []
    parts: dict[str, Any] = {}
    for section, data in (("inputs", inputs), ("outputs", outputs)):
        if data is None:
            parts[section] = None
            continue
        schema, w = infer_schema(data, section)
        parts[section] = schema
        msgs.extend(w)
    parts["params"] = infer_params(params) if _truthy(params) else None
    return Signature(parts["inputs"], parts["outputs"], parts["params"]), msgs


def infer_schema(data: Any, section: str = "inputs") -> tuple[Schema, list[str]]:
    """Infer one schema (with MLflow's whole-schema ``any`` fallback) and its warnings."""
    try:
        schema = _Inferrer().schema(data)
    except _Refused:
        raise
    except Exception as exc:  # MLflow catches every error here, too
        reason = str(exc) or type(exc).__name__
        kind = "column" if section != "params" else "param"
        return Schema((ColSpec(AnyType()),)), [
            FALLBACK_WARNING.format(section=section, reason=reason, kind=kind)
        ]
    msgs = []
    if has_integer_columns(schema):
        msgs.append(INTEGER_WARNING.format(section=section.capitalize()))
    return schema, msgs


def infer_params(params: Any) -> ParamSchema:
    """MLflow's ``_infer_param_schema``: every failing param is listed in one InvalidError."""
    if not isinstance(params, dict):
        raise InvalidError(f"params must be a dict, got {type(params).__name__}")
    inf = _Inferrer()
    specs: list[ParamSpec] = []
    problems: list[str] = []
    for name, value in params.items():
        try:
            specs.append(inf.param_spec(name, value))
        except Exception as exc:
            problems.append(f"{name!r} = {_short_repr(value)}: {exc}")
    if problems:
        raise InvalidError("cannot infer a schema for params: " + "; ".join(problems))
    return ParamSchema(tuple(specs))


def has_integer_columns(schema: Schema) -> bool:
    """MLflow's trigger for the integer hint: a top-level ``integer``/``long`` ColSpec."""
    return not schema.is_tensor and any(
        isinstance(s, ColSpec) and s.type in (ScalarType("integer"), ScalarType("long"))
        for s in schema.specs
    )


@dataclass
class LoadedData:
    """Data read from a file, ready for :func:`infer_signature`."""

    data: Any
    params: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    kind: str = ""  # e.g. "csv", "dataframe_split", "json_object", "npy"


def infer_from_file(path: str | Path) -> tuple[Schema, list[str]]:
    """Infer a schema from a CSV/TSV, JSON, Parquet or ``.npy`` file (see :func:`load_data_file`)."""
    loaded = load_data_file(path)
    schema, msgs = infer_schema(loaded.data)
    return schema, loaded.warnings + msgs


def load_data_file(path: str | Path, *, predictions: bool = False) -> LoadedData:
    """Read a data file the way a user would before calling ``infer_signature``.

    * CSV/TSV: ``pd.read_csv`` with pandas' own dtype guessing;
    * Parquet: ``pd.read_parquet`` (needs pyarrow);
    * ``.npy``: ``np.load(allow_pickle=False)`` (a tensor);
    * JSON: a serving raw (``dataframe_split``/``dataframe_records`` -> DataFrame,
      ``inputs``/``instances`` -> numpy arrays as the scoring server parses them without a
      schema, ``params`` kept), an ``input_example.json`` split object, plain records (a list
      of objects -> DataFrame), or any other JSON value taken as is (MLflow's ``json_object``).

    ``predictions``: the file holds model outputs. A scoring-server response
    ``{"predictions": ...}`` is unwrapped, and a JSON list of values becomes a numpy array (what
    ``model.predict`` returns, hence a tensor spec, as ``infer_signature(X, model.predict(X))``).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.is_file():
        raise ModelReadError("no such file", p)
    if suffix in (".csv", ".tsv", ".txt"):
        return LoadedData(_read_csv(p, "\t" if suffix == ".tsv" else ","), kind="csv")
    if suffix in (".parquet", ".pq"):
        return LoadedData(_read_parquet(p), kind="parquet")
    if suffix == ".npy":
        return LoadedData(_read_npy(p), kind="npy")
    if suffix == ".json":
        raw = read_input(p, fmt="json")  # InputReadError (unreadable) is a ModelReadError
        notes = [str(problem) for problem in raw.problems]
        document = raw.document
        if predictions:
            if isinstance(document, dict) and list(document) == ["predictions"]:
                document = document["predictions"]
            if isinstance(document, list) and not any(isinstance(x, dict) for x in document):
                return LoadedData(_np_array(document, p), warnings=notes, kind="predictions")
        loaded = json_to_data(document, p)
        loaded.warnings[:0] = notes
        return loaded
    raise ModelReadError(
        f"unsupported data file type {suffix or '(none)'!r}; use one of "
        + ", ".join(_DATA_FILE_SUFFIXES),
        p,
    )


SERVING_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def json_to_data(decoded: Any, path: str | Path | None = None) -> LoadedData:
    """Turn a decoded JSON document into inference data (rules in :func:`load_data_file`)."""
    import pandas as pd

    if isinstance(decoded, dict):
        keys = [k for k in SERVING_KEYS if k in decoded]
        if len(keys) > 1:
            raise InvalidError(
                f"a serving request body needs exactly one of {', '.join(SERVING_KEYS)}; found "
                f"{', '.join(keys)}",
                path,
            )
        if keys:
            key = keys[0]
            params = decoded.get("params")
            if params is not None and not isinstance(params, dict):
                raise InvalidError("'params' must be a JSON object", path)
            body = decoded[key]
            msgs = []
            ignored = sorted(set(decoded) - {key, "params"})
            if ignored:
                msgs.append(f"ignored keys {ignored} (the scoring server ignores them too)")
            if key == "dataframe_split":
                data = _split_frame(body, path)
            elif key == "dataframe_records":
                if not isinstance(body, list):
                    raise InvalidError("dataframe_records must be a list of records", path)
                data = _frame(lambda: pd.DataFrame(data=body), path)
            elif key == "instances":
                if isinstance(body, list) and body and isinstance(body[0], dict):
                    cols: dict[str, list[Any]] = {}
                    for row in body:
                        if not isinstance(row, dict):
                            raise InvalidError("instances: every row must be an object", path)
                        for k, v in row.items():
                            cols.setdefault(k, []).append(v)
                    data = {k: _np_array(v, path) for k, v in cols.items()}
                else:
                    data = _tensorish(body, path)
            else:
                data = _tensorish(body, path)
            return LoadedData(data, params, msgs, kind=key)
        if "data" in decoded and set(decoded) <= {"columns", "data", "index"} and (
            "columns" in decoded or _is_list_of_lists(decoded["data"])
        ):
            return LoadedData(_split_frame(decoded, path), kind="split")
        return LoadedData(decoded, kind="json_object")
    if isinstance(decoded, list) and decoded and all(isinstance(r, dict) for r in decoded):
        return LoadedData(_frame(lambda: pd.DataFrame(data=decoded), path), kind="records")
    return LoadedData(decoded, kind="json_object")


def infer_from_input_example(doc_or_dir: Any) -> tuple[Signature, list[str]]:
    """Propose a signature from a model's saved input example (inputs and params only).

    ``doc_or_dir``: a :class:`~mlmanager.core.model.mlmodel.ModelDocument` or a model folder /
    ``MLmodel`` file / zip path. The example is read back as MLflow's ``_read_example`` does, but
    without casting to the current signature (we want a fresh proposal); outputs need a
    prediction, so they are left out. Raises InvalidError when the model has no input example.
    """
    doc = doc_or_dir if isinstance(doc_or_dir, ModelDocument) else load_model(doc_or_dir)
    try:
        example = load_input_example(doc)
        if example is None:
            raise InvalidError("the model has no input example to infer from", doc.location)
        data = example.to_model_input(schema_inputs=[])
        params = example.params
    finally:
        if doc is not doc_or_dir:
            doc.close()
    sig, msgs = infer_signature(data, None, params)
    if example.kind == "dataframe":
        msgs.append(
            "the example was read back from JSON, which has fewer types than pandas: int32 "
            "columns come back as long, float32 as double, and binary/datetime as string; "
            "check those columns"
        )
    return sig, msgs


# ---------------------------------------------------------------------------------------------
# The inference engine (a mirror of mlflow/types/utils.py)


class _Inferrer:
    def __init__(self) -> None:
        import numpy as np
        import pandas as pd

        self.np = np
        self.pd = pd
        np_ = np
        self.scalar_map: dict[type, str] = {
            bool: "boolean",
            np_.bool_: "boolean",
            int: "long",
            np_.int64: "long",
            np_.int32: "integer",
            float: "double",
            np_.float64: "double",
            np_.float32: "float",
            str: "string",
            np_.str_: "string",
            object: "string",
            bytes: "binary",
            np_.bytes_: "binary",
            bytearray: "binary",
        }
        self.datetime_types = (dt.date, np_.datetime64, dt.datetime)
        # types whose only values are None / pd.NA / pd.NaT (the "missing" singletons)
        self.null_types = frozenset({type(None), type(pd.NA), type(pd.NaT)})
        self.fast_types = frozenset(self.scalar_map) | self.null_types
        self.double_types = (float, np_.float64)

    # -- schemas -------------------------------------------------------------------------------

    def schema(self, data: Any) -> Schema:
        np, pd = self.np, self.pd
        if _is_pydantic(data):
            raise _Refused(
                "MLflow does not infer signatures from pydantic objects; use a type-hinted "
                "predict() instead"
            )
        if is_dataclass(data) and not isinstance(data, type):
            raise _Refused(
                "dataclass instances are not supported: MLflow builds their schema from the "
                "class's type hints, not from the values"
            )
        if isinstance(data, list) and data == []:
            specs: list[Spec] = [ColSpec(ScalarType("string"))]
        elif isinstance(data, list) and all(isinstance(v, dict) for v in data):
            columns: dict[Any, list[Any]] = {}
            for item in data:
                for k, v in item.items():
                    columns.setdefault(k, []).append(v)
            specs = []
            for name, values in columns.items():
                required = all(item.get(name) is not None for item in data)
                t = self.colspec_type(values, f"column {name!r}")
                specs.append(ColSpec(self.items_of(t, name), _name(name), required))
        elif isinstance(data, dict):
            if all(isinstance(v, np.ndarray) for v in data.values()):
                specs = [self.tensor(arr, name) for name, arr in data.items()]
            else:
                bad = [k for k in data if not isinstance(k, str)]
                if bad:
                    raise _InferenceError(f"the dictionary keys are not all strings: {bad!r}")
                specs = [
                    ColSpec(self.colspec_type(v, f"key {k!r}"), k, self.required(v))
                    for k, v in data.items()
                ]
        elif isinstance(data, pd.Series):
            specs = [
                ColSpec(self.pandas_column(data, data.name), _name(data.name), self.required(data))
            ]
        elif isinstance(data, pd.DataFrame):
            specs = []
            for col in data.columns:
                series = data[col]
                specs.append(
                    ColSpec(self.pandas_column(series, col), _name(col), self.required(series))
                )
        elif isinstance(data, np.ndarray):
            specs = [self.tensor(data, None)]
        elif _is_scipy_sparse(data):
            specs = [
                TensorSpec(_clean_dtype(data.data.dtype), self.tensor_shape(data.shape), None)
            ]
        elif isinstance(data, list):
            t = self.colspec_type(data, "the list")
            specs = [ColSpec(self.items_of(t, None))]
        else:
            try:
                specs = [ColSpec(self.colspec_type(data, "the value"))]
            except _Refused:
                raise
            except Exception as exc:
                raise _InferenceError(
                    f"unsupported input {type(data).__name__}: expected a DataFrame, Series, "
                    f"numpy array, dict, list or scalar ({exc})"
                ) from None
        _check_mlflow_schema(specs)
        return Schema(tuple(specs))

    def tensor(self, arr: Any, name: Any) -> TensorSpec:
        return TensorSpec(_clean_dtype(arr.dtype), self.tensor_shape(arr.shape), _name(name))

    @staticmethod
    def tensor_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) == 0:
            raise _InferenceError("a 0-dimensional array has no batch dimension")
        return (-1, *(int(d) for d in shape[1:]))

    @staticmethod
    def items_of(t: ValueType, name: Any) -> ValueType:
        """MLflow's ``_infer_colspec_type(values).dtype``: the Array's element type."""
        if not isinstance(t, ArrayType):
            where = f"column {name!r}" if name is not None else "the list"
            raise _InferenceError(f"cannot infer a type for {where}")
        return t.items

    # -- pandas columns ------------------------------------------------------------------------

    def pandas_column(self, col: Any, name: Any) -> ValueType:
        pd = self.pd
        label = f"column {name!r}"
        if not isinstance(col, pd.Series):
            raise _InferenceError(
                f"{label} is not a single column (duplicated column names?)"
            )
        if col.ndim > 1:  # MLflow: len(col.values.shape) > 1 (never true for a Series)
            raise _InferenceError(f"{label}: expected a 1-D column, got shape {col.shape}")
        if isinstance(col.dtype, pd.StringDtype):
            # only str and missing values: what the general path below gives, without the list
            if len(col) and not col.count():
                return AnyType()
            return ScalarType("string")
        if col.dtype.kind == "O":
            col = col.infer_objects()
        if col.dtype.kind == "O":
            try:
                return self.items_of(self.colspec_type(col.to_list(), label), name)
            except _Refused:
                raise
            except Exception as exc:
                if pd.api.types.is_string_dtype(col):
                    return ScalarType("string")
                raise _InferenceError(f"{label}: {exc}") from None
        return self.numpy_dtype(col.dtype, label)

    def numpy_dtype(self, dtype: Any, label: str = "") -> ScalarType:
        """MLflow's ``_infer_numpy_dtype`` (numpy dtypes and pandas extension dtypes)."""
        np = self.np
        from pandas.api.extensions import ExtensionDtype

        if not isinstance(dtype, (np.dtype, ExtensionDtype)):
            raise _InferenceError(f"{label}: expected a numpy or pandas dtype, got {dtype!r}")
        kind = dtype.kind
        if kind == "b":
            return ScalarType("boolean")
        if kind in ("i", "u"):
            size = dtype.itemsize
            if size < 4 or (kind == "i" and size == 4):
                return ScalarType("integer")
            if size < 8 or (kind == "i" and size == 8):
                return ScalarType("long")
        elif kind == "f":
            size = dtype.itemsize
            if size <= 4:
                return ScalarType("float")
            if size <= 8:
                return ScalarType("double")
        elif kind == "U":
            return ScalarType("string")
        elif kind == "S":
            return ScalarType("binary")
        elif kind == "O":
            raise _InferenceError(f"{label}: cannot infer an object dtype without its values")
        elif kind == "M":
            return ScalarType("datetime")
        prefix = f"{label}: " if label else ""
        raise _InferenceError(f"{prefix}unsupported data type {dtype} (kind {kind!r})")

    def required(self, col: Any) -> bool:
        """MLflow's ``_infer_required``: no None/NaN/NA/NaT anywhere."""
        np, pd = self.np, self.pd
        if isinstance(col, pd.Series):
            dtype = col.dtype
            if isinstance(dtype, np.dtype):
                if dtype.kind in "biu":
                    return True
                if dtype.kind == "f":
                    return not bool(np.isnan(col.to_numpy()).any())
                if dtype.kind in "mM":
                    return not bool(col.isna().any())
            elif isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)) or dtype.kind in "biumM":
                # these hold no NaN besides their missing marker, so isna() is exact
                return not bool(col.isna().any())
            return self.no_missing(list(col))
        if isinstance(col, list):
            return self.no_missing(col)
        return not self.none_or_nan(col)

    def no_missing(self, values: list[Any]) -> bool:
        """``not any(_is_none_or_nan(x) for x in values)``, looking at each distinct type once."""
        types = set(map(type, values))
        if types & self.null_types:
            return False
        float_types = tuple(t for t in types if issubclass(t, float))
        if float_types:
            return not any(v != v for v in values if isinstance(v, float_types))
        return True

    def none_or_nan(self, x: Any) -> bool:
        if isinstance(x, float):
            return math.isnan(x)
        return x is None or x is self.pd.NA or x is self.pd.NaT

    # -- values ----------------------------------------------------------------------------------

    def colspec_type(self, data: Any, label: str) -> ValueType:
        t = self.datatype(data)
        if t is None:
            raise _InferenceError(f"{label}: a numpy array must include at least one non-empty item")
        return t

    def datatype(self, data: Any) -> ValueType | None:
        """MLflow's ``_infer_datatype``: dict -> object, list/array -> array, else a scalar."""
        name = self.scalar_map.get(type(data))
        if name is not None:  # fast path for plain scalars (same result as the general path)
            if name == "double" and data != data:  # NaN (float / np.float64)
                return AnyType()
            return ScalarType(name)
        if _is_pydantic(data):
            raise _Refused("MLflow does not infer signatures from pydantic objects")
        if self.none_or_nan(data) or (isinstance(data, (list, dict)) and not data):
            return AnyType()
        if isinstance(data, dict):
            props = []
            for k, v in data.items():
                t = self.datatype(v)
                if t is None:
                    raise _InferenceError("a dictionary value must not be an empty numpy array")
                if not isinstance(k, str):
                    raise _InferenceError(f"object keys must be strings, got {k!r}")
                props.append(Property(k, t, not isinstance(t, AnyType)))
            return ObjectType(tuple(props))
        if isinstance(data, (list, self.np.ndarray)):
            return self.array_type(data)
        return self.scalar_type(data)

    def array_type(self, data: Any) -> ArrayType | None:
        if isinstance(data, list):
            fast = self.scalar_list_type(data)
            if fast is not None:
                return fast
        result: ArrayType | None = None
        for item in data:
            t = self.datatype(item)
            if t is None:
                continue
            if result is None:
                result = ArrayType(t)
            elif isinstance(result.items, (ArrayType, ObjectType, MapType, AnyType)):
                try:
                    result = ArrayType(merge_types(result.items, t))
                except _InferenceError as exc:
                    raise _InferenceError(f"{MULTIPLE_TYPES_ERROR} ({exc})") from None
            elif isinstance(result.items, ScalarType):
                if not isinstance(t, AnyType) and t != result.items:
                    raise _InferenceError(
                        f"{MULTIPLE_TYPES_ERROR}, found {result.items} and {t}"
                    )
            else:
                raise _InferenceError(f"{t} is not a valid type for a list item")
        return result

    def scalar_list_type(self, data: list[Any]) -> ArrayType | None:
        """The loop below for a non-empty list of plain scalars and missing values, per distinct
        type instead of per item (same result; None when the fast path does not apply)."""
        types = set(map(type, data))
        if not data or not types <= self.fast_types:
            return None
        names = set()
        for t in types - self.null_types:
            if t in self.double_types:
                if any(v == v for v in data if type(v) is t):  # a non-NaN value
                    names.add("double")
            else:
                names.add(self.scalar_map[t])
        if not names:
            return ArrayType(AnyType())
        if len(names) > 1:
            raise _InferenceError(f"{MULTIPLE_TYPES_ERROR}, found {', '.join(sorted(names))}")
        return ArrayType(ScalarType(names.pop()))

    def scalar_type(self, data: Any) -> ScalarType:
        name = self.scalar_map.get(type(data))
        if name is not None:
            return ScalarType(name)
        if type(data) in self.datetime_types:
            return ScalarType("datetime")
        raise _InferenceError(
            f"{_short_repr(data)} ({type(data).__name__}) is not one of the supported types"
        )

    # -- params (MLflow's _infer_param_schema / ParamSpec validation) ----------------------------

    def param_spec(self, name: Any, value: Any) -> ParamSpec:
        ptype, shape = self.param_type_and_shape(value)
        if isinstance(ptype, ScalarType) and ptype.name == "binary":
            raise _InferenceError("binary is not supported for params")
        if not isinstance(ptype, (ScalarType, ObjectType)):
            raise _InferenceError(f"a param must be a scalar, a 1-D list or an object, not {ptype}")
        if shape is not None:
            default: Any = [self.param_value(v, ptype) for v in value]
        elif isinstance(ptype, ObjectType):
            default = self.object_default(value, ptype)
        else:
            default = self.param_value(value, ptype)
        return ParamSpec(str(name), ptype, default, shape)

    def param_type_and_shape(self, value: Any) -> tuple[ValueType, tuple[int, ...] | None]:
        np = self.np
        if isinstance(value, (list, np.ndarray)):
            ndim = _array_depth(value, np)
            if ndim != 1:
                raise _InferenceError(f"expected a 1-D list or a scalar, got a {ndim}-D array")
            if all(type(v) in self.datetime_types for v in value):
                return ScalarType("datetime"), (-1,)
            return self.numpy_dtype(np.array(value).dtype), (-1,)
        if type(value) in self.datetime_types:
            return ScalarType("datetime"), None
        if np.isscalar(value):
            return self.numpy_dtype(np.array(value).dtype), None
        if isinstance(value, dict):
            return self.schema({"value": value}).specs[0].type, None  # type: ignore[union-attr]
        raise _InferenceError(f"expected a 1-D list or a scalar, got {type(value).__name__}")

    def param_value(self, value: Any, ptype: ScalarType) -> Any:
        """MLflow's ``_enforce_param_datatype`` on a default, as JSON (datetimes -> ISO text)."""
        # deferred for start-up: imports numpy, pandas
        from mlmanager.core.inputs.enforce_params import ParamReject, enforce_param_datatype

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # numpy warns about time zones in datetime64()
            try:
                out = enforce_param_datatype(value, ptype.name)
            except ParamReject as exc:
                raise _InferenceError(str(exc)) from None
        return out.isoformat() if isinstance(out, dt.date) else out

    def object_default(self, value: Any, ptype: ObjectType) -> Any:
        """``_enforce_object`` on an object default (MLflow refuses e.g. datetimes inside it)."""
        # deferred for start-up: imports numpy, pandas
        from mlmanager.core.inputs.enforce_columns import Reject, enforce_value

        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            try:
                enforce_value(copy.deepcopy(value), ptype, required=True)
            except Reject as exc:
                raise _InferenceError(exc.message) from None
            except Exception as exc:  # pandas' own conversion errors: MLflow refuses them too
                raise _InferenceError(str(exc) or type(exc).__name__) from None
        return _plain_python(copy.deepcopy(value))


# ---------------------------------------------------------------------------------------------
# Type merging (MLflow's ``_merge`` methods on Array/Object/Map/AnyType/Property)


def merge_types(a: ValueType, b: ValueType) -> ValueType:
    """Merge ``b`` into ``a`` where ``a`` is array/object/map/any; raise when incompatible."""
    if isinstance(a, AnyType):
        if isinstance(b, (AnyType, ScalarType)):
            return b
        return merge_types(b, a)
    if isinstance(a, ArrayType):
        if isinstance(b, AnyType) or a == b:
            return a
        if not isinstance(b, ArrayType):
            raise _InferenceError(f"cannot merge an array with {b}")
        if isinstance(a.items, ScalarType):
            if a.items == b.items or isinstance(b.items, AnyType):
                return ArrayType(a.items)
            raise _InferenceError(f"array types are incompatible: {a} and {b}")
        return ArrayType(merge_types(a.items, b.items))
    if isinstance(a, MapType):
        if isinstance(b, AnyType) or a == b:
            return a
        if not isinstance(b, MapType):
            raise _InferenceError(f"cannot merge a map with {b}")
        if isinstance(a.values, ScalarType):
            if a.values == b.values or isinstance(b.values, AnyType):
                return MapType(a.values)
            raise _InferenceError(f"map types are incompatible: {a} and {b}")
        return MapType(merge_types(a.values, b.values))
    if isinstance(a, ObjectType):
        if isinstance(b, AnyType):
            return ObjectType(tuple(Property(p.name, p.type, False) for p in a.properties))
        if not isinstance(b, ObjectType):
            raise _InferenceError(f"cannot merge an object with {b}")
        if a == b:
            return a
        d1 = {p.name: p for p in a.properties}
        d2 = {p.name: p for p in b.properties}
        props = [Property(k, p.type, False) for k, p in d1.items() if k not in d2]
        props += [_merge_property(d1[k], d2[k]) for k in d1 if k in d2]
        props += [Property(k, p.type, False) for k, p in d2.items() if k not in d1]
        return ObjectType(tuple(props))
    raise _InferenceError(f"cannot merge {a} with {b}")


def _merge_property(p1: Property, p2: Property) -> Property:
    required = p1.required and p2.required
    if isinstance(p1.type, ScalarType):
        if p1.type == p2.type or isinstance(p2.type, AnyType):
            return Property(p1.name, p1.type, required)
        raise _InferenceError(f"property {p1.name!r} has types {p1.type} and {p2.type}")
    if isinstance(p1.type, (ArrayType, ObjectType, MapType, AnyType)):
        return Property(p1.name, merge_types(p1.type, p2.type), required)
    raise _InferenceError(f"property {p1.name!r} types are incompatible")


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_mlflow_schema(specs: list[Spec]) -> None:
    """The checks of MLflow's ``Schema.__init__`` (an inferred schema breaking them falls back)."""
    if not specs:
        raise _InferenceError("no columns (MLflow refuses an empty schema)")
    named = [s.name is not None for s in specs]
    if any(named) and not all(named):
        raise _InferenceError("a mix of named and unnamed columns")
    if all(isinstance(s, TensorSpec) for s in specs) and len(specs) > 1 and not all(named):
        raise _InferenceError("several unnamed tensors")
    if not any(named) and any(isinstance(s, ColSpec) and s.required is False for s in specs):
        raise _InferenceError(
            "an unnamed input with missing values would be optional, which MLflow does not allow"
        )


def _clean_dtype(dtype: Any) -> str:
    """MLflow's ``clean_tensor_type``: sized strings lose their size."""
    if dtype.char == "U":
        return "str"
    if dtype.char == "S":
        return "bytes"
    return str(dtype.name)


def _name(name: Any) -> Any:
    """Column labels as JSON-able Python values (numpy scalars -> Python)."""
    if name is not None and hasattr(name, "item") and type(name).__module__ == "numpy":
        return name.item()
    return name


def _is_pydantic(data: Any) -> bool:
    return any(
        c.__name__ == "BaseModel" and c.__module__.startswith("pydantic")
        for c in type(data).__mro__
    )


def _is_scipy_sparse(data: Any) -> bool:
    mod = type(data).__module__
    if not mod.startswith("scipy.sparse"):
        return False
    from scipy.sparse import csc_matrix, csr_matrix

    return isinstance(data, (csc_matrix, csr_matrix))


def _array_depth(value: Any, np: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.ndim
    if isinstance(value, list):
        return max(_array_depth(v, np) for v in value) + 1 if value else 1
    return 0


def _plain_python(value: Any) -> Any:
    """numpy values and dates as plain Python ones, NaN kept (as MLflow keeps param defaults)."""
    if isinstance(value, dict):
        return {k: _plain_python(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_python(v) for v in value]
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _truthy(params: Any) -> bool:
    if params is None:
        return False
    if isinstance(params, (dict, list, tuple, str)):
        return bool(params)
    return True


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_list_of_lists(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, list) for r in value)


# -- file readers ---------------------------------------------------------------------------------


def _read_csv(p: Path, sep: str) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(p, sep=sep)
    except pd.errors.EmptyDataError:
        raise ModelReadError("the CSV file is empty", p) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ModelReadError(f"cannot parse CSV: {_first_line(exc)}", p) from None
    except OSError as exc:
        raise ModelReadError(f"cannot read: {exc.strerror}", p) from None


def _read_parquet(p: Path) -> Any:
    import pandas as pd

    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ModelReadError(
            "reading Parquet needs pyarrow: pip install 'mlmanager[parquet]' (or pyarrow)", p
        ) from None
    try:
        return pd.read_parquet(p)
    except OSError as exc:
        raise ModelReadError(f"cannot read Parquet: {_first_line(exc)}", p) from None
    except Exception as exc:  # pyarrow raises its own ArrowInvalid etc.
        raise ModelReadError(f"cannot read Parquet: {_first_line(exc)}", p) from None


def _read_npy(p: Path) -> Any:
    import numpy as np

    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise ModelReadError(f"cannot read .npy (object arrays are refused): {exc}", p) from None
    except OSError as exc:
        raise ModelReadError(f"cannot read .npy: {exc}", p) from None


def _frame(build: Any, path: str | Path | None) -> Any:
    try:
        return build()
    except Exception as exc:
        raise InvalidError(f"not a valid table: {_first_line(exc)}", path) from None


def _split_frame(body: Any, path: str | Path | None) -> Any:
    import pandas as pd

    if not isinstance(body, dict) or "data" not in body:
        raise InvalidError("dataframe_split must be an object with 'data' (and 'columns')", path)
    extra = set(body) - {"columns", "data", "index"}
    if extra:
        raise InvalidError(f"dataframe_split has unknown keys {sorted(extra)}", path)
    return _frame(
        lambda: pd.DataFrame(index=body.get("index"), columns=body.get("columns"), data=body["data"]),
        path,
    )


def _np_array(value: Any, path: str | Path | None) -> Any:
    import numpy as np

    try:
        return np.array(value)
    except ValueError as exc:
        raise InvalidError(f"not a rectangular array: {_first_line(exc)}", path) from None


def _tensorish(body: Any, path: str | Path | None) -> Any:
    """The scoring server's schema-less parse of ``inputs``: dict -> arrays, list -> array."""
    if isinstance(body, dict):
        return {k: _np_array(v, path) for k, v in body.items()}
    if isinstance(body, list) and not any(isinstance(x, dict) for x in body):
        return _np_array(body, path)
    return body


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
