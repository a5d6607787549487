"""Input schema enforcement: a port of MLflow 3.17.2's ``_enforce_schema`` (spec §6.1–§6.6).

``enforce_input(data, schema, ctx)`` converts the input like MLflow (Series/scalar/dict/list to a
DataFrame for column schemas), checks names (missing required columns are errors, extra columns
are dropped with a warning, names that differ only in case are called out), then enforces every
column or tensor (see ``enforce_columns``/``enforce_tensors``) and returns the data the model
would receive, with *all* problems rather than the first.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlmanager.core.inputs.enforce_columns import (
    Context,
    enforce_named_columns,
    enforce_unnamed_columns,
    mlflow_name,
)
from mlmanager.core.inputs.enforce_tensors import enforce_tensor_schema
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.signature.schema import ArrayType, ColSpec, ObjectType, Schema, TensorSpec

__all__ = ["Context", "Enforced", "enforce_input"]


@dataclass
class Enforced:
    data: Any = None  # what the model receives (None when there are errors)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def _is_scalar(x: Any) -> bool:
    return bool(np.isscalar(x)) or x is None


def to_frame(data: Any, schema: Schema) -> tuple[Any, Problem | None]:
    """The conversions ``_enforce_schema`` applies before a column-based schema is checked."""
    if isinstance(data, pd.Series):
        data = pd.DataFrame(data)
    if schema.is_tensor:
        return data, None
    if np.isscalar(data):
        data = pd.DataFrame([data])
    elif isinstance(data, dict):
        if any(isinstance(s.type, (ArrayType, ObjectType)) for s in schema.specs if isinstance(s, ColSpec)) or all(
            _is_scalar(v) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
            for v in data.values()
        ):
            data = pd.DataFrame([data])
        else:
            try:
                if all(
                    isinstance(v, np.ndarray) and v.dtype.type == np.str_ and v.size == 1 and v.shape == ()
                    for v in data.values()
                ):
                    data = pd.DataFrame([data])
                elif any(isinstance(v, np.ndarray) and v.ndim > 1 for v in data.values()):
                    data = pd.DataFrame(
                        {
                            k: (v.tolist() if isinstance(v, np.ndarray) and v.ndim > 1 else v)
                            for k, v in data.items()
                        }
                    )
                else:
                    data = pd.DataFrame(data)
            except Exception as e:
                return None, Problem(
                    kind="bad_input_type",
                    message=(
                        "This model contains a column-based signature, which suggests a DataFrame "
                        f"input. There was an error casting the input data to a DataFrame: {e}"
                    ),
                    expected="columns of equal length",
                    found="dict",
                    fix="give every column the same number of values",
                    target="input",
                )
    elif isinstance(data, (list, np.ndarray, pd.Series)):
        try:
            data = pd.DataFrame(data)
        except Exception as e:  # MLflow fails the same way (wrapped in its MlflowException)
            return None, Problem(
                kind="bad_input_type",
                message=f"Failed to convert the input to a DataFrame: {e}",
                expected="rows of scalars",
                found=f"{type(data).__name__}",
                fix="send one row per list entry, one scalar per column",
                target="input",
            )
    if not isinstance(data, pd.DataFrame):
        return None, Problem(
            kind="bad_input_type",
            message=f"Expected input to be DataFrame. Found: {type(data).__name__}",
            expected="DataFrame",
            found=type(data).__name__,
            fix="pass a DataFrame (or a dict of columns)",
            target="input",
        )
    return data, None


def enforce_input(data: Any, schema: Schema, ctx: Context | None = None, skip: set | None = None) -> Enforced:
    """Enforce ``schema`` on ``data`` like ``PyFuncModel.predict`` does (every problem reported).

    ``skip``: columns already reported as unreadable (by the serving parser): they count as
    present but are not checked again.
    """
    ctx = ctx or Context()
    skip = skip or set()
    result = Enforced()
    data, problem = to_frame(data, schema)
    if problem is not None:
        result.errors.append(problem)
        return result

    if schema.has_names:
        specs = list(schema.specs)
        required = [mlflow_name(s, i) for i, s in enumerate(specs) if s.required]
        optional = [mlflow_name(s, i) for i, s in enumerate(specs) if not s.required]
        if len(set(required)) == 1 and isinstance(data, np.ndarray):
            data = {required[0]: data}
            actual: list[Any] = list(required)
        elif isinstance(data, pd.DataFrame):
            actual = list(data.columns)
        elif isinstance(data, dict):
            actual = list(data.keys())
        else:
            actual = []
        actual_set = set(actual) | set(skip)
        missing = [c for c in required if c not in actual_set]
        extra = [c for c in actual if c not in set(required) and c not in set(optional)]
        result.errors.extend(_missing_problems(missing, extra, optional))
        matched = {p.found for p in result.errors if p.kind == "case_mismatch"}
        for col in extra:
            if col in matched:
                continue
            result.warnings.append(
                Problem(
                    kind="extra_column",
                    message=(
                        "Found extra inputs in the model input that are not defined in the model "
                        f"signature: `[{col!r}]`. These inputs will be ignored."
                    ),
                    column=col,
                    fix=_extra_fix(col),
                    target="tensor" if schema.is_tensor else "column",
                    severity="warning",
                )
            )
    elif not schema.is_tensor:
        ncols = len(data.columns)
        if ncols < len(schema.specs):
            result.errors.append(
                Problem(
                    kind="too_few_columns",
                    message=(
                        "Model inference is missing inputs. The model signature declares "
                        f"{len(schema.specs)} inputs  but the provided value only has {ncols} "
                        "inputs. Note: the inputs were not named in the signature so we can only "
                        "verify their count."
                    ),
                    expected=f"{len(schema.specs)} columns",
                    found=f"{ncols} columns",
                    fix=f"send {len(schema.specs)} columns, in the order of the signature",
                    target="input",
                )
            )
        elif ncols > len(schema.specs):
            result.warnings.append(
                Problem(
                    kind="extra_column",
                    message=(
                        f"The signature is unnamed: only the first {len(schema.specs)} of {ncols} "
                        "columns are used, by position; the others are ignored."
                    ),
                    fix="check that the columns are in the signature's order",
                    target="input",
                    severity="warning",
                )
            )

    if schema.is_tensor:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k not in skip}
        converted, problems = enforce_tensor_schema(data, schema, ctx.mode)
    elif schema.has_names:
        frame = data.drop(columns=[c for c in skip if c in data.columns]) if skip else data
        converted, problems = enforce_named_columns(frame, schema, ctx)
    else:
        frame = data.drop(columns=[c for c in skip if c in data.columns]) if skip else data
        converted, problems = enforce_unnamed_columns(frame, schema, ctx)
    result.errors.extend(problems)
    if not result.errors:
        result.data = converted
    return result


def _missing_problems(missing: list[Any], extra: list[Any], optional: list[Any]) -> list[Problem]:
    out: list[Problem] = []
    extra_note = f" Note that there were extra inputs: {extra}." if extra else ""
    str_extra = [e for e in extra if isinstance(e, str)]
    for name in missing:
        message = f"Model is missing inputs [{name!r}].{extra_note}"
        kind = "missing_column"
        found = None
        fix = f"add a column `{name}` to the input"
        if isinstance(name, str):
            same_case = [e for e in str_extra if e.casefold() == name.casefold()]
            same_trim = [e for e in str_extra if e.strip() == name.strip()]
            if same_case:
                kind, found = "case_mismatch", same_case[0]
                fix = f"column `{found}` differs only in case from `{name}`: rename it (names are case-sensitive)"
            elif same_trim:
                kind, found = "name_mismatch", same_trim[0]
                fix = f"column {found!r} differs from `{name}` only by spaces: rename it"
            else:
                close = difflib.get_close_matches(name, str_extra, n=1, cutoff=0.75)
                if close:
                    fix = f"add a column `{name}` (did you mean to rename `{close[0]}`?)"
        out.append(
            Problem(
                kind=kind,
                message=message,
                column=name,
                expected="present",
                found=found,
                fix=fix,
                target="column",
            )
        )
    return out


def _extra_fix(col: Any) -> str:
    if isinstance(col, str) and col.startswith("Unnamed: "):
        return "this looks like a saved row index: write the CSV with index=False (it is ignored anyway)"
    return f"nothing to do (`{col}` is not in the signature and is dropped before predict)"


def tensor_names(schema: Schema) -> list[Any]:
    return [s.name for s in schema.specs if isinstance(s, TensorSpec)]
