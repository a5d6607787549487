"""How MLflow's scoring server turns a request body into model input (spec §5.4), ported from
3.17.2's ``scoring_server.parse_csv_input`` / ``_parse_json_data`` / ``infer_and_parse_data`` and
``proto_json_utils`` (``dataframe_from_parsed_json``, ``cast_df_types_according_to_schema``,
``parse_tf_serving_input``, ``_cast_schema_type``, ``convert_data_type``).

The serving path *casts before it enforces*: CSV is read with the schema's pandas dtypes, JSON
DataFrame columns go through ``astype`` (binary base64-decoded, datetime via ``pd.to_datetime``,
composite columns element by element), ``inputs``/``instances`` through ``np.array(v, dtype)``.
Where MLflow stops at the first column it cannot cast (a ``stage: parse`` error), every column is
tried here and each failure is reported with offending rows; the rest goes on to enforcement.
"""

from __future__ import annotations

import base64
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlmanager.core.inputs.enforce_columns import (
    NUMPY_TYPES,
    PANDAS_TYPES,
    Context,
    Reject,
    enforce_value,
    first_rows,
    quiet,
)
from mlmanager.core.inputs.problems import MAX_ROWS, Problem, show_value
from mlmanager.core.inputs.reader import (
    DF_RECORDS,
    DF_SPLIT,
    INPUTS,
    INSTANCES,
    LLM_KEYS,
    PARAMS_KEY,
    SUPPORTED_FORMATS,
    RawInput,
)
from mlmanager.core.signature.schema import (
    AnyType,
    ArrayType,
    ColSpec,
    MapType,
    ObjectType,
    ParamSchema,
    ScalarType,
    Schema,
    TensorSpec,
)

REQUIRED_INPUT_FORMAT = (
    "The input must be a JSON dictionary with exactly one of the input fields "
    "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}"
)
CSV_PARSE_PREFIX = (
    "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted "
    "Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: "
)


@dataclass
class Parsed:
    """The model input the server would build, and what went wrong building it."""

    data: Any = None
    params: Any = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    skip: set = field(default_factory=set)  # columns that failed to parse (already reported)
    failed: bool = False  # nothing usable was built
    parsed_dtypes: dict[str, str] | None = None


class Invalid(Exception):
    """``MlflowInvalidInputException`` (``Invalid input. ...``)."""

    def __init__(self, message: str, kind: str = "parse_error", column: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.column = column


def _dtypes_of(data: Any) -> dict[str, str] | None:
    if isinstance(data, pd.DataFrame):
        return {str(k): str(v) for k, v in data.dtypes.items()}
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# CSV (text/csv)


def csv_dtypes(schema: Schema) -> tuple[dict[Any, Any] | None, str | None]:
    """``dict(zip(schema.input_names(), schema.pandas_types()))``, or MLflow's error text."""
    if schema.is_tensor:
        return None, "TensorSpec only supports numpy types, use numpy_types() instead"
    if not all(isinstance(s, ColSpec) and isinstance(s.type, ScalarType) for s in schema.specs):
        return None, "Failed to get pandas types as some of the inputs types are not DataType."
    names = [s.name or i for i, s in enumerate(schema.specs)]
    return dict(zip(names, [PANDAS_TYPES[s.type.name] for s in schema.specs])), None  # type: ignore[union-attr]


def parse_csv_serving(raw_input: RawInput, schema: Schema | None, ctx: Context) -> Parsed:
    """``parse_csv_input``: ``pd.read_csv(body, dtype=<schema's pandas types>)``."""
    out = Parsed()
    if schema is None:
        try:
            out.data = raw_input.read_csv()
        except Exception as exc:
            out.errors.append(_csv_parse_problem(exc))
            out.failed = True
        out.parsed_dtypes = _dtypes_of(out.data)
        return out
    dtypes, why = csv_dtypes(schema)
    if dtypes is None:
        out.failed = True
        out.errors.append(
            Problem(
                kind="parse_error",
                message=CSV_PARSE_PREFIX + f"'{why}'",
                expected="JSON payload",
                found="CSV",
                fix=(
                    "MLflow's scoring server cannot read CSV for a "
                    + ("tensor" if schema.is_tensor else "composite (array/object/map/any)")
                    + ' signature: send JSON instead, e.g. {"inputs": [[...], ...]}'
                    if schema.is_tensor
                    else ' signature: send JSON instead, e.g. {"dataframe_split": {"columns": [...], "data": [...]}}'
                ),
                stage="parse",
                target="input",
            )
        )
        return out
    try:
        with quiet():
            out.data = raw_input.read_csv(dtype=dtypes)
        out.parsed_dtypes = _dtypes_of(out.data)
        return out
    except Exception as exc:
        whole_error = exc
    # Which columns does pandas refuse? Try each one alone (exact), then locate the rows.
    header = raw_input.header or []
    present = [
        name
        for name in dtypes
        if (name in header) or (isinstance(name, int) and not isinstance(name, bool) and name < len(header))
    ]
    raw = None
    try:
        raw = raw_input.read_csv(dtype=object)
    except Exception:
        raw = None
    bad: set = set()
    for name in present:
        try:
            with quiet():
                raw_input.read_csv(usecols=[name], dtype={name: dtypes[name]})
        except Exception as exc:
            bad.add(name)
            out.errors.append(_csv_column_problem(name, dtypes[name], exc, raw, schema, raw_input))
    if not bad:
        out.errors.append(_csv_parse_problem(whole_error))
        out.failed = True
        return out
    try:
        good = {k: v for k, v in dtypes.items() if k not in bad}
        with quiet():
            out.data = raw_input.read_csv(dtype=good)
    except Exception as exc:
        out.errors.append(_csv_parse_problem(exc))
        out.failed = True
        return out
    out.skip = bad
    out.parsed_dtypes = _dtypes_of(out.data)
    return out


def _csv_parse_problem(exc: BaseException) -> Problem:
    return Problem(
        kind="parse_error",
        message=CSV_PARSE_PREFIX + f"'{_first_line(exc)}'",
        fix="make the file a plain CSV as DataFrame.to_csv(index=False) writes it",
        stage="parse",
        target="input",
    )


def _type_name_of(schema: Schema, name: Any) -> str:
    for i, spec in enumerate(schema.specs):
        if (spec.name or i) == name and isinstance(spec, ColSpec):
            return str(spec.type)
    return "?"


def _csv_column_problem(
    name: Any, dtype: Any, exc: BaseException, raw: pd.DataFrame | None, schema: Schema, raw_input: RawInput
) -> Problem:
    t = _type_name_of(schema, name)
    message = CSV_PARSE_PREFIX + f"'{_first_line(exc)}'"
    if t == "datetime":
        return Problem(
            kind="parse_error",
            message=message,
            column=name,
            expected="datetime",
            found="text",
            fix=(
                "MLflow's scoring server cannot read a datetime column from CSV (pandas refuses "
                "dtype datetime64[ns] in read_csv): send the rows as JSON "
                '({"dataframe_split": ...}, where date strings are parsed with pd.to_datetime)'
            ),
            stage="parse",
            target="column",
        )
    rows: list[int] = []
    values: list[str] = []
    column = None
    if raw is not None:
        if name in raw.columns:
            column = raw[name]
        elif isinstance(name, int) and name < len(raw.columns):
            column = raw.iloc[:, name]
    if column is not None:
        predicate = _csv_predicate(t)
        if predicate is not None:
            try:
                rows = first_rows(column, predicate)
            except Exception:
                rows = []
        values = [show_value(None if pd.isna(column.iloc[r]) else column.iloc[r]) for r in rows]
    empty = any(v == "None" for v in values)
    if t in ("integer", "long") and empty and all(v == "None" for v in values):
        kind, fix = "nan_in_integer", f"fill the empty `{name}` cells or declare `{name}` as double (an integer column cannot hold missing values)"
    elif t in ("integer", "long"):
        kind, fix = "parse_error", f"`{name}` must hold whole numbers{_eg(values)}: fix those cells or declare `{name}` as double"
    elif t in ("float", "double"):
        kind, fix = "parse_error", f"`{name}` must hold numbers{_eg(values)}: fix those cells"
    elif t == "boolean":
        kind, fix = "parse_error", f"`{name}` must hold True/False{_eg(values)}: write True or False in every cell"
    else:
        kind, fix = "parse_error", f"make every `{name}` cell readable as {t}"
    return Problem(
        kind=kind,
        message=message,
        column=name,
        expected=t,
        found="text",
        rows=[raw_input.source_row(r) for r in rows],
        values=values,
        fix=fix,
        stage="parse",
        target="column",
    )


def _eg(values: list[str]) -> str:
    return f" (found {', '.join(values[:3])})" if values else ""


_BOOL_CSV = {"true", "false", "1", "0"}


def _csv_predicate(t: str) -> Any:
    if t in ("integer", "long"):
        lo, hi = (np.iinfo(np.int32).min, np.iinfo(np.int32).max) if t == "integer" else (None, None)

        def pred(c: pd.Series) -> np.ndarray:
            num = pd.to_numeric(c, errors="coerce")
            arr = num.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                bad = np.isnan(arr) | (arr != np.floor(arr))
                if lo is not None:
                    bad |= (arr < lo) | (arr > hi)
            return bad

        return pred
    if t in ("float", "double"):
        return lambda c: (pd.to_numeric(c, errors="coerce").isna() & c.notna()).to_numpy()
    if t == "boolean":
        return lambda c: (c.isna() | ~c.astype(str).str.strip().str.lower().isin(_BOOL_CSV)).to_numpy()
    return None


def schemaless_value(raw_input: RawInput) -> Any:
    """The input as Python sees it without a schema: ``pd.read_csv(file)``, the Parquet frame,
    the in-memory object, or the JSON parsed the way the scoring server parses it when the model
    has no signature. Computed once per input."""
    if raw_input.source in ("parquet", "object"):
        return raw_input.obj
    if "schemaless" not in raw_input.cache:
        if raw_input.source == "csv":
            value = raw_input.read_csv()
        else:
            value = parse_json_serving(raw_input, None, mode="python").data
        raw_input.cache["schemaless"] = value
    return raw_input.cache["schemaless"]


# ---------------------------------------------------------------------------------------------
# JSON (application/json)


def parse_json_serving(
    raw_input: RawInput,
    schema: Schema | None,
    *,
    mode: str = "serving",
    type_hint: bool = False,
    params_schema: ParamSchema | None = None,
    ctx: Context | None = None,
) -> Parsed:
    """The model input (and params) MLflow builds from a JSON document.

    ``serving``: ``scoring_server._parse_json_data`` exactly (an unwrapped document is refused).
    ``python``: serving wrappers are parsed without schema casts (plain pandas/numpy values, as
    a Python caller would build them); input-example forms are read like
    ``Model.load_input_example`` (which casts with the schema).
    """
    ctx = ctx or Context(mode=mode, origin="json")
    doc = raw_input.document
    out = Parsed()
    if mode == "serving":
        if isinstance(doc, list):
            return _refuse(
                out,
                f"Invalid input. {REQUIRED_INPUT_FORMAT}. Received a list.",
                bare_frame_fix(doc) or '{"inputs": <this list>}',
            )
        if not isinstance(doc, dict):
            return _refuse(
                out,
                f"Invalid input. {REQUIRED_INPUT_FORMAT}. Received unexpected input type '{type(doc)}.",
                '{"inputs": <this value>}',
            )
        if any(k in doc for k in LLM_KEYS):
            names = {p.name for p in params_schema.params} if params_schema else set()
            out.data = {k: v for k, v in doc.items() if k not in names}
            out.params = {k: v for k, v in doc.items() if k in names}
            return out
        data = {k: v for k, v in doc.items() if k in SUPPORTED_FORMATS}
        out.params = doc.get(PARAMS_KEY)
        if type_hint:
            if INPUTS not in data:
                return _refuse(
                    out,
                    "Request payload must be a dictionary with 'inputs' key when the model "
                    f"contains a valid type hint. Found keys in payload: dict_keys({list(data.keys())}).",
                    '{"inputs": ...}',
                )
            out.data = data[INPUTS]
            return out
        if len(data) != 1:
            fix = "send exactly one of dataframe_split, dataframe_records, instances, inputs"
            if not data and "data" in doc:
                fix = bare_frame_fix(doc) or (
                    'wrap the DataFrame: {"dataframe_split": {"columns": [...], "data": [...]}}')
            elif not data:
                fix = 'wrap the input: {"inputs": ...} (or dataframe_split/dataframe_records/instances)'
            return _refuse(
                out,
                f"{REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: {list(data.keys())}. "
                "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0.",
                fix,
                kind="payload_format",
            )
        key = next(iter(data))
        _parse_format(out, key, data, schema, ctx)
        return out
    # python semantics
    form = raw_input.json_form
    if isinstance(doc, dict):
        out.params = doc.get(PARAMS_KEY)
    if form in (DF_SPLIT, DF_RECORDS, INSTANCES):
        _parse_format(out, form, {form: doc[form]}, None, ctx)
        return out
    if form == "ambiguous":
        keys = [k for k in doc if k in SUPPORTED_FORMATS]
        return _refuse(
            out,
            f"{REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: {keys}.",
            "keep exactly one input field",
            kind="payload_format",
        )
    # An input example: the whole document, or under "inputs" (the (data, params) tuple form
    # and the <= 2.15 tf-serving wrapper); read like Model.load_input_example (schema casts).
    value = doc[INPUTS] if form == INPUTS else doc
    if isinstance(value, dict) and "data" in value and set(value) <= {"columns", "data", "index"}:
        _frame_from_json(out, value, "split", schema, ctx)
        return out
    if form == "unified_llm" or (
        isinstance(value, dict) and not all(isinstance(v, list) for v in value.values())
    ) or not isinstance(value, (dict, list)):
        out.data = value  # a json_object example is passed as is
        return out
    try:
        _cast_into(out, value, schema)
    except Invalid as exc:
        out.failed = True
        out.errors.append(_invalid_problem(exc))
    return out


def bare_frame_orient(value: Any) -> str | None:
    """``split`` or ``records`` when ``value`` is a bare pandas DataFrame document (what a
    model's ``input_example.json`` holds), else None."""
    if isinstance(value, dict) and {"columns", "data"} <= set(value) <= {"columns", "data", "index"}:
        return "split"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "records"
    return None


def bare_frame_fix(value: Any, inside: str | None = None, *, params: bool = False) -> str | None:
    """What ``value`` is and the request body an endpoint needs instead, when it is a bare
    DataFrame document (the whole file, or the value of the ``inside`` field); else None."""
    orient = bare_frame_orient(value)
    if orient is None:
        return None
    key = DF_SPLIT if orient == "split" else DF_RECORDS
    if inside is None:
        what = "this list" if orient == "records" else "this document"
        return (f"this file is a pandas DataFrame in '{orient}' orient (how MLflow saves "
                f"input_example.json), not a request body: an endpoint needs "
                f'{{"{key}": <{what}>}}')
    tail = ', "params": ...' if params else ""
    return (f'"{inside}" holds a pandas DataFrame in \'{orient}\' orient (how MLflow saves an input '
            f"example with params), which an endpoint does not unwrap: send "
            f'{{"{key}": <the value of "{inside}">{tail}}}')


def _refuse(out: Parsed, message: str, fix: str, kind: str = "payload_format") -> Parsed:
    out.failed = True
    out.errors.append(
        Problem(
            kind=kind,
            message=message,
            fix=fix,
            stage="parse",
            target="input",
        )
    )
    return out


def _parse_format(out: Parsed, key: str, data: dict, schema: Schema | None, ctx: Context) -> None:
    """``infer_and_parse_data`` for one input field."""
    if key in (INSTANCES, INPUTS):
        try:
            if key == INSTANCES:
                out.data = _parse_instances(out, data[INSTANCES], schema)
            else:
                _cast_into(out, data[INPUTS], schema)
        except Invalid as exc:
            out.failed = True
            out.errors.append(_invalid_problem(exc))
        except Exception as exc:
            out.failed = True
            out.errors.append(
                _invalid_problem(
                    Invalid(f"Ensure that the input is a valid JSON-formatted string.\nError: {exc!r}")
                )
            )
        return
    _frame_from_json(out, data[key], key[10:], schema, ctx)


def _invalid_problem(exc: Invalid) -> Problem:
    return Problem(
        kind=exc.kind,
        message=f"Invalid input. {exc.message}",
        column=exc.column,
        fix=_invalid_fix(exc),
        stage="parse",
        target="column" if exc.column is not None else "input",
    )


def _invalid_fix(exc: Invalid) -> str:
    text = exc.message
    if "could not convert string to float" in text or "invalid literal" in text:
        return "send numbers, not text, for numeric inputs"
    if "length of values" in text:
        return "give every input/column the same number of values"
    if "un-named" in text:
        return "send a single array: {\"inputs\": [[...], ...]}"
    return "make the input match the signature"


# -- DataFrame request bodies --------------------------------------------------------------------


def _frame_from_json(out: Parsed, decoded: Any, orient: str, schema: Schema | None, ctx: Context) -> None:
    """``dataframe_from_parsed_json`` then ``cast_df_types_according_to_schema`` (every column)."""
    if orient == "records":
        if not isinstance(decoded, list):
            kind = "dictionary" if isinstance(decoded, dict) else f"type {type(decoded)}"
            _refuse(out, f"Invalid input. Dataframe records format must be a list of records. Got {kind}.", "send a list of row objects")
            return
        try:
            pdf = pd.DataFrame(data=decoded)
        except Exception as exc:
            _refuse(
                out,
                "Invalid input. Provided dataframe_records field is not a valid dataframe representation in "
                f"'records' format. Error: '{exc}'",
                "send a list of row objects",
            )
            return
    else:
        if not isinstance(decoded, dict):
            kind = "list" if isinstance(decoded, list) else f"type {type(decoded)}"
            _refuse(out, f"Invalid input. Dataframe split format must be a dictionary. Got {kind}.", 'send {"columns": [...], "data": [[...], ...]}')
            return
        keys = set(decoded.keys())
        if "data" not in keys or keys - {"columns", "data", "index"}:
            _refuse(
                out,
                "Invalid input. Dataframe split format must have 'data' field and optionally 'columns' and "
                f"'index' fields. Got {keys}.'",
                'send {"columns": [...], "data": [[...], ...]}',
            )
            return
        try:
            pdf = pd.DataFrame(index=decoded.get("index"), columns=decoded.get("columns"), data=decoded["data"])
        except Exception as exc:
            _refuse(
                out,
                "Invalid input. Provided dataframe_split field is not a valid dataframe representation in "
                f"'split' format. Error: '{exc}'",
                "give every row one value per column",
            )
            return
    if schema is not None:
        pdf, problems, bad, warns = cast_frame(pdf, schema)
        out.errors.extend(problems)
        out.warnings.extend(warns)
        out.skip |= bad
    out.data = pdf
    out.parsed_dtypes = _dtypes_of(pdf)


def cast_frame(pdf: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, list[Problem], set, list[Problem]]:
    """``cast_df_types_according_to_schema`` that tries every column and reports each failure
    (and, as warnings, the dates pandas could only parse one by one with dateutil)."""
    problems: list[Problem] = []
    warns: list[Problem] = []
    bad: set = set()
    actual = set(pdf.columns)
    specs = list(schema.specs)
    if schema.has_names:
        pairs = [(s.name, s) for s in specs]
    elif schema.is_tensor and len(specs) == 1:
        pairs = [(c, specs[0]) for c in actual]
    else:
        n = min(len(specs), len(pdf.columns))
        pairs = list(zip(pdf.columns[:n], specs[:n]))
    required = {s.name or i for i, s in enumerate(specs) if s.required}
    pdf = pdf.copy(deep=False)
    for name, spec in pairs:
        if name not in actual:
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pdf[name] = _cast_column(pdf[name], spec, schema.is_tensor, name in required)
        except Exception as exc:
            bad.add(name)
            with quiet():
                problems.append(_cast_problem(name, spec, pdf[name], exc))
            continue
        if any("infer format" in str(w.message) for w in caught):
            warns.append(
                Problem(
                    kind="datetime_format",
                    message=(
                        f"the dates in column {name} do not share one format: pandas parsed each "
                        "one separately with dateutil, which guesses the day/month order"
                    ),
                    column=name,
                    fix=f"send `{name}` as ISO 8601 strings (2024-03-05T14:00:00)",
                    stage="parse",
                    severity="warning",
                )
            )
    return pdf, problems, bad, warns


def _cast_column(col: pd.Series, spec: ColSpec | TensorSpec, is_tensor: bool, required: bool) -> pd.Series:
    if isinstance(spec, TensorSpec):
        col_type: Any = np.dtype(spec.dtype)
        t = None
    else:
        t = spec.type
        col_type = PANDAS_TYPES[t.name] if isinstance(t, ScalarType) else t
    if isinstance(t, ScalarType) and t.name == "binary":
        return col.map(lambda x: base64.decodebytes(bytes(x, "utf8")))
    if isinstance(col_type, np.dtype) and col_type == np.dtype(bytes):
        return col.map(lambda x: bytes(x, "utf8"))
    if is_tensor and isinstance(col.iloc[0], list):
        return col
    if isinstance(t, (ArrayType, ObjectType, MapType)):
        return col.map(lambda x: _mlflow_enforce(x, t, required))
    if isinstance(t, AnyType):
        return col
    if isinstance(t, ScalarType) and t.name == "datetime":
        parsed = pd.to_datetime(col)
        if pd.api.types.is_datetime64_any_dtype(parsed) and getattr(parsed.dt, "unit", "ns") != "ns":
            parsed = parsed.dt.as_unit("ns")
        return parsed
    if (col_type is object or (isinstance(col_type, np.dtype) and col_type.kind == "U")) and isinstance(
        col.dtype, pd.StringDtype
    ):
        return col
    return col.astype(col_type)


def _mlflow_enforce(x: Any, t: Any, required: bool) -> Any:
    try:
        return enforce_value(x, t, required)
    except Reject as exc:
        raise _CastReject(exc) from None


class _CastReject(Exception):
    def __init__(self, reject: Reject) -> None:
        super().__init__(reject.message)
        self.reject = reject


def _cast_problem(name: Any, spec: ColSpec | TensorSpec, col: pd.Series, exc: BaseException) -> Problem:
    if isinstance(spec, TensorSpec):
        t_label: str = spec.dtype
        col_type: Any = spec.dtype
    else:
        t_label = str(spec.type)
        col_type = PANDAS_TYPES[spec.type.name] if isinstance(spec.type, ScalarType) else spec.type
    inner = exc.reject if isinstance(exc, _CastReject) else exc
    message = (
        "Invalid input. Data is not compatible with model signature. "
        f"Failed to convert column {name} to type '{col_type}'. Error: '{inner!r}'"
    )
    kind = inner.kind if isinstance(inner, Reject) else "parse_error"
    rows = _cast_rows(col, spec)
    values = [show_value(_py(col.iloc[r])) for r in rows]
    return Problem(
        kind=kind,
        message=message,
        column=name,
        expected=t_label,
        found=str(col.dtype),
        rows=rows,
        values=values,
        fix=_cast_fix(name, t_label, values, col),
        stage="parse",
        target="column",
    )


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _cast_rows(col: pd.Series, spec: ColSpec | TensorSpec) -> list[int]:
    """Rows whose value fails the same cast: vectorised for numbers/dates, cell by cell (on
    growing chunks) for base64 and composite values."""
    name = spec.dtype if isinstance(spec, TensorSpec) else (spec.type.name if isinstance(spec.type, ScalarType) else None)
    if isinstance(spec, TensorSpec):
        np_t = np.dtype(spec.dtype)
        name = {"i": "long", "u": "long", "f": "double", "b": "boolean"}.get(np_t.kind)
    if name in ("integer", "long"):
        pred: Any = lambda c: _bad_number(c, True)  # noqa: E731
    elif name in ("float", "double"):
        pred = lambda c: _bad_number(c, False)  # noqa: E731
    elif name == "datetime":
        pred = lambda c: (pd.to_datetime(c, errors="coerce").isna() & c.notna()).to_numpy()  # noqa: E731
    elif name in ("boolean", "string"):
        return []
    else:
        def one_bad(v: Any) -> bool:
            try:
                _cast_column(pd.Series([v], dtype=object), spec, False, True)
                return False
            except Exception:
                return True

        pred = lambda c: np.fromiter((one_bad(v) for v in c), dtype=bool, count=len(c))  # noqa: E731
    try:
        return first_rows(col, pred, MAX_ROWS)
    except Exception:
        return []


def _bad_number(c: pd.Series, integral: bool) -> np.ndarray:
    if c.dtype.kind == "b":
        return np.zeros(len(c), dtype=bool)
    num = pd.to_numeric(c, errors="coerce")
    arr = num.to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isnan(arr) & c.notna().to_numpy()
    if integral:
        bad |= ~np.isfinite(arr)
    return bad


def _cast_fix(name: Any, t: str, values: list[str], col: pd.Series) -> str:
    eg = f" (found {', '.join(values[:3])})" if values else ""
    if t in ("long", "integer"):
        if values and all(v in ("NaN", "None") for v in values):
            return f"send whole numbers for `{name}` (null/NaN cannot become an integer), or declare `{name}` as double"
        return f"send whole numbers for `{name}`{eg}"
    if t in ("double", "float"):
        return f"send numbers for `{name}`{eg}"
    if t == "binary":
        return f"send `{name}` values as base64 strings{eg}"
    if t == "datetime":
        return f"send `{name}` as ISO 8601 date/time strings{eg}"
    if t == "boolean":
        return f"send true/false for `{name}`{eg}"
    return f"make every `{name}` value match {t}{eg}"


# -- inputs / instances -----------------------------------------------------------------------


def convert_data_type(data: Any, spec: ColSpec | TensorSpec | None) -> Any:
    """``convert_data_type``: one column (or the whole input) to numpy per its spec."""
    try:
        with quiet():
            return _convert(data, spec)
    except Reject as exc:
        raise Invalid(exc.message, exc.kind, getattr(spec, "name", None)) from None
    except Invalid:
        raise
    except Exception as exc:
        raise Invalid(f"{exc}", "parse_error", getattr(spec, "name", None)) from None


def _convert(data: Any, spec: ColSpec | TensorSpec | None) -> Any:
    if spec is None:
        return np.array(data)
    if isinstance(spec, TensorSpec):
        return np.array(data, dtype=np.dtype(spec.dtype))
    t = spec.type
    if isinstance(t, ScalarType):
        np_type = NUMPY_TYPES[t.name]
        if isinstance(data, (list, np.ndarray)):
            return np.array(data, np_type)
        return np.array([data], np_type)[0]
    if isinstance(t, ArrayType):
        return np.array(enforce_value(data, t, spec.required))
    if isinstance(t, (ObjectType, MapType)):
        return enforce_value(data, t, spec.required)
    if isinstance(t, AnyType):
        return data
    raise Invalid(f"Failed to convert data type for data `{data}` with spec `{spec}`.")


def _cast_into(out: Parsed, input_data: Any, schema: Schema | None) -> None:
    """``_cast_schema_type``; a dict input is converted column by column, every failure kept."""
    types_dict = {s.name: s for s in schema.specs} if schema is not None and schema.has_names else {}
    if schema is not None:
        if len(types_dict) == 1 and isinstance(input_data, list) and not any(isinstance(x, dict) for x in input_data):
            input_data = {next(iter(types_dict)): input_data}
        elif not schema.has_names and not (isinstance(input_data, list) or np.isscalar(input_data)):
            raise Invalid(
                "Failed to parse input data. This model contains an un-named  model signature "
                "which expects a single n-dimensional array or a single value as input, however, "
                f"an input of type {type(input_data)} was found."
            )
    if isinstance(input_data, dict):
        converted = {}
        for col, value in input_data.items():
            try:
                converted[col] = convert_data_type(value, types_dict.get(col))
            except Invalid as exc:
                exc.column = col
                out.errors.append(_column_invalid(exc, col, value, types_dict.get(col)))
                out.skip.add(col)
        out.data = converted
        return
    if isinstance(input_data, list):
        if all(isinstance(x, dict) for x in input_data):
            rows = []
            for row_no, row in enumerate(input_data):
                new_row = {}
                for col, value in row.items():
                    try:
                        new_row[col] = convert_data_type(value, types_dict.get(col))
                    except Invalid as exc:
                        if col not in out.skip:
                            out.errors.append(_column_invalid(exc, col, value, types_dict.get(col), row_no))
                            out.skip.add(col)
                rows.append(new_row)
            out.data = rows
            return
        spec = schema.specs[0] if schema is not None else None
        out.data = convert_data_type(input_data, spec)
        return
    spec = schema.specs[0] if schema is not None else None
    try:
        out.data = convert_data_type(input_data, spec)
    except Invalid as exc:
        raise Invalid(
            f"Failed to convert data `{input_data}` to type `{spec}` defined in the model signature.",
            exc.kind,
        ) from None


def _column_invalid(exc: Invalid, col: Any, value: Any, spec: Any, row: int | None = None) -> Problem:
    rows: list[int] = []
    values: list[str] = []
    if isinstance(value, list) and spec is not None:
        for i, v in enumerate(value):
            try:
                convert_data_type([v], spec)
            except Invalid:
                rows.append(i)
                values.append(show_value(v))
                if len(rows) >= MAX_ROWS:
                    break
    elif row is not None:
        rows, values = [row], [show_value(value)]
    expected = None
    if isinstance(spec, ColSpec):
        expected = str(spec.type)
    elif isinstance(spec, TensorSpec):
        expected = f"{spec.dtype} {list(spec.shape)}"
    kind = exc.kind
    if kind == "parse_error" and rows and all(v in ("None", "NaN") for v in values):
        kind = "nan_in_integer" if expected in ("integer", "long") else kind
    return Problem(
        kind=kind,
        message=f"Invalid input. {exc.message}",
        column=col,
        expected=expected,
        rows=rows,
        values=values,
        fix=(f"send values of type {expected} for `{col}`" if expected else _invalid_fix(exc)),
        stage="parse",
        target="tensor" if isinstance(spec, TensorSpec) else "column",
    )


def _parse_instances(out: Parsed, data: Any, schema: Schema | None) -> Any:
    """``parse_instances_data``."""
    if isinstance(data, list) and len(data) > 0 and isinstance(data[0], dict):
        columns: dict[Any, list] = defaultdict(list)
        types_dict = {s.name: s for s in schema.specs} if schema is not None and schema.has_names else {}
        for row_no, item in enumerate(data):
            for col, v in item.items():
                try:
                    columns[col].append(convert_data_type(v, types_dict.get(col)))
                except Invalid as exc:
                    if col not in out.skip:
                        out.errors.append(_column_invalid(exc, col, v, types_dict.get(col), row_no))
                        out.skip.add(col)
        result: Any = {col: np.array(v) for col, v in columns.items() if col not in out.skip}
    else:
        _cast_into(out, data, schema)
        result = out.data
    if isinstance(result, dict):
        check = {k: v for k, v in result.items() if isinstance(v, (list, np.ndarray))}
        if schema is not None and schema.has_names:
            required = [s.name or i for i, s in enumerate(schema.specs) if s.required]
            non_array = {s.name for s in schema.specs if not (isinstance(s, ColSpec) and isinstance(s.type, ArrayType))}
            cols = [c for c in required if c in non_array and c in check]
        else:
            cols = list(check)
        if cols:
            n = len(check[cols[0]])
            if not all(len(check[c]) == n for c in cols[1:]):
                raise Invalid("The length of values for each input/column name are not the same")
    return result
