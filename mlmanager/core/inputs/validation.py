"""Validate a model input against a signature, exactly as MLflow would, reporting every problem.

Two semantics, always stated in the result (spec §5.4, §6):

* ``serving`` (default): what a deployed MLflow endpoint (``/invocations``) does with the
  input: CSV is read with the signature's dtypes, JSON columns are cast to the signature types
  (``astype``, base64, ``pd.to_datetime``), then the schema is enforced.
* ``python``: what ``pyfunc_model.predict(df)`` does with the DataFrame ``pd.read_csv(file)``
  gives (pandas' own dtype guessing, strict checks: int64 into double fails). JSON serving
  inputs are taken as plain Python values; ``input_example.json`` forms as
  ``Model.load_input_example`` reads them.

Unlike MLflow, which stops at the first failure, every column/tensor/param is checked, and each
problem carries offending rows and values and a concrete fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InputReadError, UnreadableSignatureError
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.inputs.reader import RawInput, input_from_object, read_input
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.schema import Signature

__all__ = [
    "MODES",
    "Problem",
    "ValidationResult",
    "validate_file",
    "validate_input",
]

MODES = ("serving", "python")

SEMANTICS = {
    "serving": (
        "REST request body (cast first): what a deployed MLflow endpoint does with it; CSV is read "
        "with the signature's dtypes, JSON columns are cast to the signature types, then the "
        "schema is enforced"
    ),
    "python": (
        "Python predict (strict): what pyfunc_model.predict() does with the DataFrame "
        "pd.read_csv(file) gives (pandas guesses the dtypes; no casts before enforcement)"
    ),
}


@dataclass
class ValidationResult:
    """The verdict. ``data`` is what the model would receive (None when invalid)."""

    valid: bool
    mode: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    data: Any = None
    params: dict[str, Any] | None = None
    source: str | None = None
    signature_kind: str = "none"  # colspec | tensor | params_only | type_hint | none
    parsed_dtypes: dict[str, str] | None = None

    @property
    def semantics(self) -> str:
        return SEMANTICS.get(self.mode, self.mode)

    @property
    def dtypes(self) -> dict[str, str] | None:
        """dtypes of the converted frame (or arrays) the model receives."""
        return _dtypes(self.data)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "mode": self.mode,
            "semantics": self.semantics,
            "source": self.source,
            "signature": self.signature_kind,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
            "params": to_jsonable(self.params),
            "parsed_dtypes": self.parsed_dtypes,
            "dtypes": self.dtypes,
        }


def _dtypes(data: Any) -> dict[str, str] | None:
    if data is None:
        return None
    tname = type(data).__name__
    if tname == "DataFrame":
        return {str(k): str(v) for k, v in data.dtypes.items()}
    if tname == "ndarray":
        return {"": str(data.dtype)}
    if isinstance(data, dict) and all(type(v).__name__ == "ndarray" for v in data.values()):
        return {str(k): str(v.dtype) for k, v in data.items()}
    return None


def _signature_kind(signature: Signature | None, type_hint: bool) -> str:
    if signature is None:
        return "none"
    if type_hint:
        return "type_hint"
    if signature.inputs is None:
        return "params_only"
    return "tensor" if signature.inputs.is_tensor else "colspec"


def validate_input(
    signature: Signature | None,
    raw_input: RawInput | Any,
    mode: str = "serving",
    type_hint: bool = False,
    *,
    params: Any = None,
    ignored_signature: str | None = None,
) -> ValidationResult:
    """Validate ``raw_input`` (a :class:`RawInput`, or an in-memory DataFrame/array/dict given to
    ``predict``, which is enforced as is in either mode) against ``signature`` as MLflow would.

    ``type_hint``: the model's ``is_signature_from_type_hint`` flag (input enforcement skipped,
    params only). ``params``: inference params to use instead of the raw_input's own.
    ``ignored_signature``: why the model's signature was set aside (it cannot be read and the
    user asked to go on without it); worded in the warning that replaces "no input schema".
    Never raises for a bad input: anything unexpected becomes an ``unexpected_error`` problem.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    try:
        return _validate(signature, raw_input, mode, type_hint, params, ignored_signature)
    except Exception as exc:  # pragma: no cover - a safety net, every known path is handled
        return ValidationResult(
            valid=False,
            mode=mode,
            errors=[
                Problem(
                    kind="unexpected_error",
                    message=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    fix="this input hit a case mlmanager does not handle yet; please report it",
                    target="input",
                )
            ],
            signature_kind=_signature_kind(signature, type_hint),
        )


def _validate(
    signature: Signature | None, raw_input: Any, mode: str, type_hint: bool, params: Any,
    ignored_signature: str | None = None,
) -> ValidationResult:
    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.enforce import enforce_input

    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.enforce_columns import Context

    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.enforce_params import enforce_params

    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.serving import (
        Parsed,
        parse_csv_serving,
        parse_json_serving,
        schemaless_value,
    )

    if not isinstance(raw_input, RawInput):
        raw_input = input_from_object(raw_input, params)
    result = ValidationResult(
        valid=False,
        mode=mode,
        source=raw_input.source,
        signature_kind=_signature_kind(signature, type_hint),
    )
    for p in raw_input.problems:
        (result.errors if p.severity == "error" else result.warnings).append(p)

    schema = signature.inputs if signature is not None else None
    params_schema = signature.params if signature is not None else None
    origin = "csv" if raw_input.source == "csv" else "json" if raw_input.is_json else raw_input.source
    ctx = Context(mode=mode, origin=origin, row_map=raw_input.source_row, raw_column=_raw_csv_column(raw_input))

    if raw_input.source == "csv":
        if mode == "serving":
            parsed = parse_csv_serving(raw_input, schema, ctx)
        else:
            parsed = Parsed()
            try:
                parsed.data = raw_input.read_csv()
                parsed.parsed_dtypes = {str(k): str(v) for k, v in parsed.data.dtypes.items()}
            except Exception as exc:
                parsed.failed = True
                parsed.errors.append(
                    Problem(
                        kind="parse_error",
                        message=f"pandas cannot read the CSV: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                        fix="make the file a plain CSV as DataFrame.to_csv(index=False) writes it",
                        stage="parse",
                        target="input",
                    )
                )
    elif raw_input.is_json:
        parsed = parse_json_serving(
            raw_input,
            None if type_hint else schema,
            mode=mode,
            type_hint=type_hint and mode == "serving",
            params_schema=params_schema,
            ctx=ctx,
        )
    else:
        parsed = Parsed(data=schemaless_value(raw_input))
        if type(parsed.data).__name__ == "DataFrame":
            parsed.parsed_dtypes = {str(k): str(v) for k, v in parsed.data.dtypes.items()}
    result.errors.extend(parsed.errors)
    result.warnings.extend(parsed.warnings)
    result.parsed_dtypes = parsed.parsed_dtypes
    params_in = params if params is not None else (parsed.params if raw_input.source != "object" else raw_input.params)

    data = parsed.data
    if type_hint:
        result.warnings.append(
            Problem(
                kind="type_hint_signature",
                message=(
                    "The signature comes from the model's type hints (is_signature_from_type_hint: "
                    "true): MLflow skips input schema enforcement and the model validates its input "
                    "against its own type hints; only params are enforced"
                ),
                fix=None,
                target="input",
                severity="warning",
            )
        )
    elif schema is None and ignored_signature:
        result.warnings.append(
            Problem(
                kind="signature_ignored",
                message=(
                    f"The signature is ignored, as asked ({ignored_signature}): the input goes to "
                    "the model unchanged. MLflow itself cannot load this model"
                ),
                fix="fix the signature (mlmanager signature set, or the Signature tab)",
                target="input",
                severity="warning",
            )
        )
    elif schema is None:
        result.warnings.append(
            Problem(
                kind="no_signature",
                message=(
                    "The model has no input schema: MLflow passes the input to the model unchanged, "
                    "so only the model itself can reject it"
                ),
                fix="add a signature (mlmanager signature infer/edit) to get inputs checked before predict",
                target="input",
                severity="warning",
            )
        )
    elif not parsed.failed:
        enforced = enforce_input(parsed.data, schema, ctx, skip=parsed.skip)
        result.errors.extend(enforced.errors)
        result.warnings.extend(enforced.warnings)
        data = enforced.data

    if mode == "serving" and raw_input.is_json and result.errors:
        _explain_wrapped_frame(result, raw_input.document)
    out_params, p_errors, p_warnings = enforce_params(params_in, params_schema)
    result.errors.extend(p_errors)
    result.warnings.extend(p_warnings)
    result.params = out_params
    result.valid = not result.errors
    result.data = data if result.valid else None
    return result


def _explain_wrapped_frame(result: ValidationResult, document: Any) -> None:
    """``{"inputs": {"columns": ..., "data": ...}}`` (how MLflow saves an input example with
    params): an endpoint reads that as columns named "columns" and "data", so every problem
    follows from one mistake; say that one, with the request the endpoint needs."""
    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.serving import bare_frame_fix, bare_frame_orient

    if not isinstance(document, dict):
        return
    forms = [k for k in ("inputs", "instances") if k in document]
    if len(forms) != 1 or bare_frame_orient(document[forms[0]]) != "split":
        return
    key = forms[0]
    first = result.errors[0]
    fix = bare_frame_fix(document[key], key, params="params" in document)
    result.errors = [Problem(kind="payload_format", message=first.message, fix=fix, stage="parse", target="input")]
    split_keys = {"columns", "data", "index"}  # what the endpoint took for columns
    result.warnings = [w for w in result.warnings if not (w.kind == "extra_column" and w.column in split_keys)]


def _raw_csv_column(raw_input: RawInput) -> Any:
    if raw_input.source != "csv":
        return None

    def raw(name: Any) -> Any:
        return raw_input.read_csv(usecols=[name], dtype=str, keep_default_na=False)[name]

    return raw


def validate_file(
    model: str | Path | Signature | Any,
    input_path: str | Path,
    mode: str = "serving",
    *,
    encoding: str = "utf-8",
    fmt: str | None = None,
    params: Any = None,
    ignore_signature: bool = False,
) -> ValidationResult:
    """Validate an input file (CSV/JSON/Parquet) against a model folder, ``MLmodel`` file,
    loaded model document or :class:`Signature`. Unreadable inputs give an invalid result (with
    a ``read`` stage error naming the line/column and any encoding retry), never an exception.

    A model whose signature cannot be read raises :class:`UnreadableSignatureError`, unless
    ``ignore_signature``: then the input is taken as for a model without a signature (with a
    warning saying the signature was ignored and why)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    signature, type_hint, ignored = _signature_of(model, ignore_signature)
    try:
        raw_input = read_input(input_path, fmt=fmt, encoding=encoding)
    except InputReadError as exc:
        fix = None
        if exc.retry_encoding:
            fix = f"retry with encoding={exc.retry_encoding!r}"
        elif exc.kind == "parquet_unavailable":
            fix = "pip install mlmanager[parquet]"
        return ValidationResult(
            valid=False,
            mode=mode,
            errors=[
                Problem(
                    kind=exc.kind,
                    message=exc.message,
                    fix=fix,
                    stage="read",
                    target="input",
                    line=exc.line,
                )
            ],
            signature_kind=_signature_kind(signature, type_hint),
        )
    return validate_input(signature, raw_input, mode, type_hint, params=params, ignored_signature=ignored)


def _signature_of(model: Any, ignore_signature: bool = False) -> tuple[Signature | None, bool, str | None]:
    """(signature, is_signature_from_type_hint, why it is ignored) of a Signature, model
    document or path. A signature that cannot be read raises :class:`UnreadableSignatureError`
    unless ``ignore_signature`` (then the signature is None and the third item says why)."""
    if model is None or isinstance(model, Signature):
        return model, False, None
    if hasattr(model, "readable_signature") and hasattr(model, "data"):
        doc, where = model, None
    else:
        doc, where = load_model(Path(model)), model
    type_hint = bool(doc.is_signature_from_type_hint)
    try:
        return doc.readable_signature(where), type_hint, None
    except UnreadableSignatureError as exc:
        if not ignore_signature:
            raise
        return None, type_hint, exc.message
