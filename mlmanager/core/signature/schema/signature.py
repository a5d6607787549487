"""The signature: inputs, outputs and params, read from and written to MLmodel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from mlmanager.core.errors import SchemaError
from mlmanager.core.signature.schema.dialects import (
    DIALECTS,
    SourceStyle,
    dumps_compact,
    param_to_dict,
    schema_to_dialect,
)
from mlmanager.core.signature.schema.parsing import (
    detect_dialect,
    detect_name_first,
    detect_param_type_first,
    parse_params,
    parse_schema,
    spec_label,
    yaml_kind,
)
from mlmanager.core.signature.schema.specs import ColSpec, ParamSchema, Schema
from mlmanager.core.signature.schema.types import ObjectType, ScalarType
from mlmanager.core.signature.schema.validation import Issue, validate_params, validate_schema
from mlmanager.core.structs import Struct, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

SECTIONS: tuple[str, ...] = ("inputs", "outputs", "params")


class Signature(Struct, frozen=True):
    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None
    style: SourceStyle = field(default_factory=SourceStyle, compare=False)

    # -- reading -----------------------------------------------------------------------------

    @classmethod
    def from_mlmodel(cls, raw: Any, path: str | Path | None = None) -> Signature:
        """Parse MLmodel's ``signature`` mapping (values are JSON strings) as MLflow does.

        Raises SchemaError for everything that makes MLflow fail to load the file, except the
        2.5–2.9 ``optional`` key, which we read (see ``compat_problems``).
        """
        if not isinstance(raw, Mapping):
            raise SchemaError(
                f"'signature' must be a mapping, found {type(raw).__name__}", path
            )
        parts: dict[str, Any] = {}
        for section in SECTIONS:
            value = raw.get(section)
            if not value:
                parts[section] = None
                continue
            if not isinstance(value, str):
                raise SchemaError(
                    f"signature.{section} must be a JSON string, found a YAML "
                    f"{yaml_kind(value)} (MLflow fails with 'the JSON object must be str')",
                    path,
                )
            try:
                decoded = json.loads(value)
            except ValueError as exc:
                raise SchemaError(f"signature.{section} is not valid JSON: {exc}", path) from None
            if section == "params":
                parts[section] = parse_params(decoded, path)
            else:
                parts[section] = parse_schema(decoded, section, path)
        if all(v is None for v in parts.values()):
            raise SchemaError(
                "signature has no inputs, outputs or params (MLflow: 'At least one of inputs, "
                "outputs or params must be provided'); delete the signature key instead",
                path,
            )
        style = SourceStyle(
            dialect=detect_dialect(raw),
            name_first=detect_name_first(raw),
            params_key="params" in raw,
            param_type_first=detect_param_type_first(raw),
        )
        return cls(parts["inputs"], parts["outputs"], parts["params"], style)

    @classmethod
    def from_canonical(cls, data: Mapping[str, Any], path: str | Path | None = None) -> Signature:
        """Build from ``{"inputs": [...], "outputs": [...], "params": [...]}`` (parsed lists)."""
        if not isinstance(data, Mapping):
            raise SchemaError("a signature must be a JSON object with inputs/outputs/params", path)
        unknown = set(data) - set(SECTIONS)
        if unknown:
            raise SchemaError(f"unknown signature keys: {sorted(unknown)}", path)
        inputs = parse_schema(data["inputs"], "inputs", path) if data.get("inputs") else None
        outputs = parse_schema(data["outputs"], "outputs", path) if data.get("outputs") else None
        params = parse_params(data["params"], path) if data.get("params") else None
        if inputs is None and outputs is None and params is None:
            raise SchemaError("a signature needs at least one of inputs, outputs or params", path)
        return cls(inputs, outputs, params)

    # -- writing -----------------------------------------------------------------------------

    def to_canonical(self) -> dict[str, Any]:
        """MLflow 3's parsed form: what ``Model.load(...).signature.to_dict()`` decodes to."""
        return {
            "inputs": self.inputs.to_list() if self.inputs else None,
            "outputs": self.outputs.to_list() if self.outputs else None,
            "params": self.params.to_list() if self.params else None,
        }

    def to_mlmodel(self, dialect: str = "current", params_key: bool | None = None) -> dict:
        """The ``signature`` mapping to write into MLmodel (JSON strings, like MLflow).

        ``params_key``: write ``params: null`` when there are no params. Default: yes for the
        current dialect, and as the source file did for the others.
        """
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; choose one of {DIALECTS}")
        for issue in self.validate():
            if issue.fatal:
                raise SchemaError(issue.message, column=issue.column_label)
        out: dict[str, Any] = {}
        for section in ("inputs", "outputs"):
            schema: Schema | None = getattr(self, section)
            out[section] = (
                None if schema is None else dumps_compact(schema_to_dialect(schema, section, dialect, self.style))
            )
        if params_key is None:
            params_key = dialect == "current" or self.style.params_key
        if self.params is not None:
            type_first = dialect != "current" and self.style.param_type_first
            out["params"] = dumps_compact([param_to_dict(p, type_first) for p in self.params])
        elif params_key:
            out["params"] = None
        return out

    # -- checks ------------------------------------------------------------------------------

    def validate(self) -> list[Issue]:
        """Every rule of §4.5 and §4.8, plus our stricter ones (duplicate names)."""
        issues: list[Issue] = []
        if self.inputs is None and self.outputs is None and self.params is None:
            issues.append(Issue("inputs", None, None, "the signature is empty; remove it instead", True))
        for section in ("inputs", "outputs"):
            schema = getattr(self, section)
            if schema is not None:
                issues.extend(validate_schema(schema, section))
        if self.params is not None:
            issues.extend(validate_params(self.params))
        return issues

    def compat_problems(self) -> list[str]:
        """Which MLflow versions cannot load this signature as it was written."""
        problems = []
        if self.style.dialect == "optional":
            problems.append(
                "signature uses the 2.5–2.9 'optional' column key: mlflow >= 2.19 (3.x included) "
                "cannot load this MLmodel; re-save it in the current dialect"
            )
        return problems

    def needs_current_dialect(self) -> str | None:
        """Why the legacy (mlflow < 2.10) dialect cannot express this signature, or None."""
        for section in ("inputs", "outputs"):
            schema: Schema | None = getattr(self, section)
            if schema is None:
                continue
            for spec in schema.specs:
                if isinstance(spec, ColSpec):
                    if not isinstance(spec.type, ScalarType):
                        return f"{section} column {spec_label(spec)} has type {spec.type}, which mlflow < 2.10 cannot read"
                    if not spec.is_required:
                        return f"{section} column {spec_label(spec)} is optional, which mlflow < 2.10 cannot express"
        if self.params is not None:
            for p in self.params:
                if isinstance(p.type, ObjectType):
                    return f"param {p.name!r} has type object, which mlflow < 2.20 cannot read"
        return None

    def describe(self) -> str:
        left = self.inputs.describe() if self.inputs else "?"
        right = self.outputs.describe() if self.outputs else "?"
        text = f"({left}) -> ({right})"
        if self.params:
            text += " params: " + ", ".join(p.describe() for p in self.params)
        return text
