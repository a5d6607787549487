"""Params enforcement: a port of MLflow 3.17.2's ``_enforce_params_schema``,
``ParamSpec.validate_type_and_shape`` and ``_enforce_param_datatype`` (spec §6.7).

Unknown keys are dropped with a warning, missing params get their default, ``None`` passes,
``[-1]`` params need a 1-D list, object params are checked against their properties and passed
on unchanged; every invalid param is reported (MLflow also collects them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlmanager.core.inputs.enforce_columns import (
    NUMPY_TYPES,
    PANDAS_TYPES,
    PYTHON_TYPES,
    Reject,
    enforce_value,
)
from mlmanager.core.inputs.problems import Problem, show_value
from mlmanager.core.signature.schema import ObjectType, ParamSchema, ParamSpec, ScalarType

_ALLOWED_CONVERSIONS = {
    "long": ("integer",),
    "float": ("integer", "long"),
    "double": ("integer", "long", "float"),
}


class ParamReject(Exception):
    pass


def _check_type(t: str, value: Any) -> bool:
    """``DataType.check_type`` (note: ``type(v) in [np.dtype(...)]`` compares through numpy)."""
    import datetime as dt

    types: list[Any] = [NUMPY_TYPES[t], PANDAS_TYPES[t], PYTHON_TYPES[t]]
    if t == "datetime":
        types.extend([np.datetime64, dt.datetime])
    if t == "binary":
        types.append(bytearray)
    return type(value) in types


def enforce_param_datatype(value: Any, t: str) -> Any:
    """``_enforce_param_datatype``: the Python value the model receives, or ParamReject."""
    if value is None:
        return None
    label = f"DataType.{t}"
    if t == "datetime":
        try:
            converted = np.datetime64(value).item()
        except ValueError:
            raise ParamReject(
                f"Failed to convert value `{value}` from type `{type(value)}` to `{label}`"
            ) from None
        if isinstance(converted, int):
            raise ParamReject(
                f"Failed to convert value to `{label}`. It must be convertible to "
                f"datetime.date/datetime, got `{value}`"
            )
        return converted
    if not np.isscalar(value):
        raise ParamReject(f"Value must be a scalar for type `{label}`, got `{value}`")
    if _check_type(t, value):
        return PYTHON_TYPES[t](value)
    if t in _ALLOWED_CONVERSIONS and any(_check_type(a, value) for a in _ALLOWED_CONVERSIONS[t]):
        try:
            return PYTHON_TYPES[t](value)
        except ValueError:
            raise ParamReject(
                f"Failed to convert value `{value}` from type `{type(value)}` to `{label}`"
            ) from None
    raise ParamReject(f"Can not safely convert `{type(value)}` to `{label}` for value `{value}`")


def spec_repr(spec: ParamSpec) -> str:
    """``repr(ParamSpec)`` of MLflow: ``'name': double (default: 0.5)``."""
    shape = f" (shape: {tuple(spec.shape)})" if spec.shape is not None else ""
    return f"{spec.name!r}: {_type_repr(spec.type)} (default: {spec.default}){shape}"


def _type_repr(t: ScalarType | ObjectType) -> str:
    if isinstance(t, ScalarType):
        return t.name
    inner = ", ".join(f"{p.name}: {p.type} ({'required' if p.required else 'optional'})" for p in t.properties)
    return "{" + inner + "}"


def validate_param(value: Any, spec: ParamSpec) -> Any:
    """``ParamSpec.validate_type_and_shape``; raises ParamReject with MLflow's wording."""
    shape = tuple(spec.shape) if spec.shape is not None else None
    if shape == (-1,):
        try:
            ndim = np.array(value).ndim
        except Exception as exc:  # ragged lists: numpy refuses them (MLflow fails the same way)
            raise ParamReject(f"Failed to validate type and shape for {spec_repr(spec)}, error: {exc}") from None
        if not (isinstance(value, (list, np.ndarray)) and ndim == 1):
            raise ParamReject(
                f"Value must be a 1D array with shape (-1,) for param {spec_repr(spec)}, "
                f"received {type(value).__name__} with ndim {ndim}"
            )
    try:
        if shape is None:
            if isinstance(spec.type, ScalarType):
                return enforce_param_datatype(value, spec.type.name)
            enforce_value(value, spec.type, True)
            return value
        if shape == (-1,):
            if not isinstance(spec.type, ScalarType):
                raise ParamReject(f"Value must be a scalar for type `{_type_repr(spec.type)}`, got `{value}`")
            return [enforce_param_datatype(v, spec.type.name) for v in value]
    except (ParamReject, Reject) as exc:
        raise ParamReject(f"Failed to validate type and shape for {spec_repr(spec)}, error: {exc}") from None
    except Exception as exc:
        raise ParamReject(f"Failed to validate type and shape for {spec_repr(spec)}, error: {exc}") from None
    raise ParamReject(
        "Shape must be None for scalar or dictionary value, or (-1,) for 1D array value "
        f"for ParamSpec {spec_repr(spec)}), received {shape}"
    )


def enforce_params(
    params: Any, schema: ParamSchema | None
) -> tuple[dict[str, Any] | None, list[Problem], list[Problem]]:
    """``_enforce_params_schema``. Returns (params the model receives, errors, warnings)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if schema is None:
        if params is None or params == {}:
            return params, errors, warnings
        info = (
            f"Ignoring provided params: {list(params.keys())}"
            if isinstance(params, dict)
            else "Ignoring invalid params (not a dictionary)."
        )
        warnings.append(
            Problem(
                kind="params_ignored",
                message=(
                    "`params` can only be specified at inference time if the model signature "
                    f"defines a params schema. This model does not define a params schema. {info}"
                ),
                fix="add a params schema to the signature, or stop sending params",
                stage="params",
                target="param",
                severity="warning",
            )
        )
        return {}, errors, warnings
    params = {} if params is None else params
    if not isinstance(params, dict):
        errors.append(
            Problem(
                kind="bad_params",
                message=f"Parameters must be a dictionary. Got type '{type(params).__name__}'.",
                expected="object",
                found=type(params).__name__,
                fix='send params as a JSON object: "params": {"name": value}',
                stage="params",
                target="param",
            )
        )
        return None, errors, warnings
    if any(not isinstance(k, str) for k in params):
        params = {str(k): v for k, v in params.items()}
    allowed = {p.name for p in schema.params}
    ignored = [k for k in params if k not in allowed]
    for key in ignored:
        warnings.append(
            Problem(
                kind="unknown_param",
                message=(
                    f"Unrecognized params [{key!r}] are ignored for inference. Supported params "
                    f"are: {_set_text(allowed)}. To enable them, please add corresponding schema in "
                    "ModelSignature."
                ),
                column=key,
                fix=_unknown_fix(key, sorted(allowed)),
                stage="params",
                target="param",
                severity="warning",
            )
        )
    out = {k: params[k] for k in params if k in allowed}
    for spec in schema.params:
        if spec.name in out:
            try:
                out[spec.name] = validate_param(out[spec.name], spec)
            except ParamReject as exc:
                value = out[spec.name]
                errors.append(
                    Problem(
                        kind="bad_param",
                        message=str(exc),
                        column=spec.name,
                        expected=_expected(spec),
                        found=type(value).__name__,
                        values=[show_value(value)],
                        fix=_param_fix(spec, value),
                        stage="params",
                        target="param",
                    )
                )
        else:
            out[spec.name] = _default(spec)
    return (out if not errors else None), errors, warnings


def _set_text(names: set[str]) -> str:
    return "{" + ", ".join(repr(n) for n in sorted(names)) + "}"


def _default(spec: ParamSpec) -> Any:
    """The default as MLflow holds it (a datetime default is a date/datetime object)."""
    try:
        return validate_param(spec.default, spec)
    except ParamReject:
        return spec.default


def _expected(spec: ParamSpec) -> str:
    t = _type_repr(spec.type) if isinstance(spec.type, ScalarType) else "object"
    return f"{t}[]" if spec.shape is not None else t


def _unknown_fix(key: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"did you mean {close[0]!r}? unknown params are dropped"
    return f"remove {key!r} or add it to the params schema (supported: {', '.join(allowed)})"


def _param_fix(spec: ParamSpec, value: Any) -> str:
    t = spec.type.name if isinstance(spec.type, ScalarType) else "object"
    if spec.shape is not None:
        return f"send `{spec.name}` as a list of {t} values, e.g. {spec.default!r}"
    if t in ("integer", "long"):
        return f"send `{spec.name}` as a whole number without a decimal point (e.g. {spec.default!r})"
    if t in ("float", "double"):
        return f"send `{spec.name}` as a JSON number, not {type(value).__name__} (e.g. {spec.default!r})"
    if t == "boolean":
        return f"send `{spec.name}` as true or false"
    if t == "string":
        return f"send `{spec.name}` as a JSON string"
    if t == "datetime":
        return f"send `{spec.name}` as an ISO date/time string such as \"2024-03-05\" or \"2024-03-05T14:00:00\""
    return f"send `{spec.name}` as an object with the declared properties"
