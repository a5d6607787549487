"""Tensor (TensorSpec) enforcement: a port of MLflow 3.17.2's ``_enforce_tensor_schema``,
``_reshape_and_cast_pandas_column_values`` and ``_enforce_tensor_spec`` (spec §6.6) that checks
every named tensor instead of stopping at the first bad one.

Rules: the number of dimensions must match, each fixed dimension must be equal, ``-1`` matches
anything, the dtype must match exactly (no upcasting), except through the DataFrame-with-lists
path, which casts. ``object (-1,)`` accepts anything; a later ``-1`` accepts 1-D object arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlmanager.core.inputs.problems import Problem
from mlmanager.core.signature.schema import Schema, TensorSpec


class TensorReject(Exception):
    def __init__(self, message: str, kind: str, found: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.found = found


def spec_dtype(spec: TensorSpec) -> np.dtype:
    return np.dtype(spec.dtype)


def _clean_tensor_type(dtype: np.dtype) -> np.dtype:
    if dtype.char == "U":
        return np.dtype("str")
    if dtype.char == "S":
        return np.dtype("bytes")
    return dtype


def is_sparse(x: Any) -> bool:
    return type(x).__name__ in ("csr_matrix", "csc_matrix") and type(x).__module__.startswith("scipy")


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def enforce_tensor_spec(values: Any, spec: TensorSpec) -> Any:
    """``_enforce_tensor_spec``: shape and exact dtype."""
    expected_shape = tuple(spec.shape)
    expected_type = spec_dtype(spec)
    actual_shape = values.shape
    actual_type = values.dtype if isinstance(values, np.ndarray) else values.data.dtype
    if len(expected_shape) == 1 and expected_shape[0] == -1 and expected_type == np.dtype("O"):
        return values
    if (
        len(expected_shape) > 1
        and -1 in expected_shape[1:]
        and len(actual_shape) == 1
        and actual_type == np.dtype("O")
    ):
        return values
    if len(expected_shape) != len(actual_shape) or any(
        e != -1 and e != a for e, a in zip(expected_shape, actual_shape)
    ):
        raise TensorReject(
            f"Shape of input {_shape_text(actual_shape)} does not match expected shape "
            f"{_shape_text(expected_shape)}.",
            "shape_mismatch",
            found=str(list(actual_shape)),
        )
    if _clean_tensor_type(actual_type) != expected_type:
        raise TensorReject(
            f"dtype of input {actual_type} does not match expected dtype {expected_type}",
            "dtype_mismatch",
            found=str(actual_type),
        )
    return values


def reshape_and_cast_column(name: Any, series: pd.Series, spec: TensorSpec) -> np.ndarray:
    """``_reshape_and_cast_pandas_column_values``: a DataFrame column feeding a tensor."""
    shape = tuple(spec.shape)
    dtype = spec_dtype(spec)
    label = f"input {name}" if name else "the unnamed input"
    if shape[0] != -1 or -1 in shape[1:]:
        raise TensorReject(
            "For pandas dataframe input, the first dimension of shape must be a variable "
            "dimension and other dimensions must be fixed, but in model signature the shape "
            f"of {label} is {shape}.",
            "shape_mismatch",
        )
    first = series[0]
    if np.isscalar(first):
        for candidate in [(-1,), (-1, 1)]:
            if shape == candidate:
                return enforce_tensor_spec(np.array(series, dtype=dtype).reshape(candidate), spec)
        raise TensorReject(
            f"The input pandas dataframe column '{name}' contains scalar values, which requires "
            f"the shape to be (-1,) or (-1, 1), but got tensor spec shape of {shape}.",
            "shape_mismatch",
            found="scalars",
        )
    if isinstance(first, list) and np.isscalar(first[0]):
        msg = (
            f"The value in the Input DataFrame column '{name}' could not be converted to the "
            f"expected shape of: '{shape}'. Ensure that each of the input list elements are of "
            f"uniform length and that the data can be coerced to the tensor type '{dtype}'"
        )
        try:
            arr = np.vstack(series.tolist()).reshape(shape).astype(dtype)
        except ValueError:
            raise TensorReject(msg, "shape_mismatch") from None
        if len(arr) != len(series):
            raise TensorReject(msg, "shape_mismatch")
        return arr
    if isinstance(first, np.ndarray):
        msg = (
            f"The value in the Input DataFrame column '{name}' could not be converted to the "
            f"expected shape of: '{shape}'. Ensure that each of the input numpy array elements "
            "are of uniform length and can be reshaped to above expected shape."
        )
        try:
            arr = np.vstack(series.tolist()).reshape(shape)
        except ValueError:
            raise TensorReject(msg, "shape_mismatch") from None
        if len(arr) != len(series):
            raise TensorReject(msg, "shape_mismatch")
        return arr
    raise TensorReject(
        "Because the model signature requires tensor spec input, the input pandas dataframe "
        "values should be either scalar value, python list containing scalar values or numpy "
        "array containing scalar values, other types are not supported.",
        "bad_input_type",
    )


def enforce_tensor_schema(data: Any, schema: Schema, mode: str = "python") -> tuple[Any, list[Problem]]:
    """``_enforce_tensor_schema`` over every tensor. Returns (converted, problems)."""
    problems: list[Problem] = []
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if schema.has_names:
        if isinstance(data, dict):
            out: dict[Any, Any] = {}
            for spec in specs:
                if spec.name not in data:
                    continue  # reported as missing by the caller
                value = data[spec.name]
                if not isinstance(value, np.ndarray):
                    problems.append(
                        _problem(
                            spec,
                            TensorReject(
                                "This model contains a tensor-based model signature with input "
                                "names, which suggests a dictionary input mapping input name to a "
                                f"numpy array, but a dict with value type {type(value)} was found.",
                                "bad_input_type",
                                found=type(value).__name__,
                            ),
                            mode,
                        )
                    )
                    continue
                _run(lambda v=value, s=spec: enforce_tensor_spec(v, s), spec, out, problems, mode)
            return (out if not problems else None), problems
        if isinstance(data, pd.DataFrame):
            out = {}
            for spec in specs:
                if spec.name not in data.columns:
                    continue
                _run(
                    lambda s=spec: reshape_and_cast_column(s.name, data[s.name], s),
                    spec,
                    out,
                    problems,
                    mode,
                )
            return (out if not problems else None), problems
        return None, [
            Problem(
                kind="bad_input_type",
                message=(
                    "This model contains a tensor-based model signature with input names, which "
                    "suggests a dictionary input mapping input name to tensor, or a pandas "
                    "DataFrame input containing columns mapping input name to flattened list "
                    f"value from tensor, but an input of type {type(data)} was found."
                ),
                expected="dict of arrays or DataFrame",
                found=type(data).__name__,
                fix="send one named array per tensor: {\"inputs\": {\"<name>\": [...], ...}}",
                target="input",
            )
        ]
    spec = specs[0]
    try:
        if isinstance(data, pd.DataFrame):
            ncols = len(data.columns)
            if data.empty:
                raise TensorReject("Input DataFrame is empty.", "empty_input")
            if ncols == 1:
                return reshape_and_cast_column(None, data[data.columns[0]], spec), []
            if tuple(spec.shape) != (-1, ncols):
                raise TensorReject(
                    "This model contains a model signature with an unnamed input. Since the input "
                    "data is a pandas DataFrame containing multiple columns, the input shape must "
                    "be of the structure (-1, number_of_dataframe_columns). Instead, the input "
                    f"DataFrame passed had {ncols} columns and an input shape of "
                    f"{tuple(spec.shape)} with all values within the DataFrame of scalar type. "
                    "Please adjust the passed in DataFrame to match the expected structure",
                    "shape_mismatch",
                    found=f"{ncols} columns",
                )
            return enforce_tensor_spec(data.to_numpy(), spec), []
        if isinstance(data, np.ndarray) or is_sparse(data):
            return enforce_tensor_spec(data, spec), []
        raise TensorReject(
            "This model contains a tensor-based model signature with no input names, which "
            "suggests a numpy array input or a pandas dataframe input with proper column values, "
            f"but an input of type {type(data)} was found.",
            "bad_input_type",
            found=type(data).__name__,
        )
    except TensorReject as exc:
        return None, [_problem(spec, exc, mode, data)]
    except Exception as exc:
        return None, [_problem(spec, TensorReject(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, "bad_input_type"), mode, data)]


def _run(fn: Any, spec: TensorSpec, out: dict, problems: list[Problem], mode: str) -> None:
    try:
        out[spec.name] = fn()
    except TensorReject as exc:
        problems.append(_problem(spec, exc, mode))
    except Exception as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        problems.append(_problem(spec, TensorReject(text, "bad_input_type"), mode))


def _problem(spec: TensorSpec, exc: TensorReject, mode: str, data: Any = None) -> Problem:
    expected = f"{spec.dtype} {list(spec.shape)}"
    label = f"`{spec.name}`" if spec.name is not None else "the input"
    fix: str
    if exc.kind == "dtype_mismatch":
        fix = (
            f"cast {label} to {spec.dtype} before predict (x.astype('{spec.dtype}')): tensors are "
            "not upcast"
        )
        if isinstance(data, pd.DataFrame) and mode == "python":
            fix += "; a CSV of whole numbers reads as int64, so write them as 1.0 or cast the frame"
    elif exc.kind == "shape_mismatch":
        fixed = [d for d in spec.shape[1:]]
        fix = (
            f"give {label} the shape {list(spec.shape)} (-1 = any size)"
            + (f": each row needs {fixed[0]} values" if len(fixed) == 1 and fixed[0] != -1 else "")
        )
    elif exc.kind == "empty_input":
        fix = "send at least one row"
    elif exc.kind == "bad_input_type":
        fix = (
            f"pass a numpy array (or a DataFrame) of {spec.dtype} for {label}; in JSON send "
            "{\"inputs\": [[...], ...]}"
        )
    else:
        fix = f"match the tensor spec {expected}"
    return Problem(
        kind=exc.kind,
        message=exc.message,
        column=spec.name,
        expected=expected,
        found=exc.found,
        fix=fix,
        stage="schema",
        target="tensor",
    )
