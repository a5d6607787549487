"""``mlmanager signature show|infer|set|remove``. The commands are pure functions (no printing)
that ``cmd_signature`` prints.

Each command returns a :class:`CliOutput` (a ``(exit_code, stdout_text)`` pair that also carries
``stderr`` text, e.g. warnings next to ``--json`` output) or raises the typed errors of
``mlmanager.core.errors`` (InvalidError/SchemaError -> exit 1, ModelReadError/WriteError -> 2).
``set`` validates the whole new signature first and reports every problem; nothing is written
unless it is valid.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from mlmanager.cli.args import EXIT_OK, Parser
from mlmanager.core.errors import ModelReadError, SchemaError
from mlmanager.core.model.mlmodel import (
    FLAG_KEYS,
    SIGNATURE_KEYS,
    load_model,
    save_as_copy,
    save_text,
)
from mlmanager.core.model.yamlio import load_yaml_text
from mlmanager.core.signature.diff import diff_signatures
from mlmanager.core.signature.infer import infer_signature, load_data_file
from mlmanager.core.signature.plain_text import format_signature
from mlmanager.core.signature.schema import (
    SECTIONS,
    AnyType,
    ColSpec,
    ParamSchema,
    Schema,
    Signature,
    Spec,
    TensorSpec,
    detect_dialect,
    parse_params,
    parse_spec,
    validate_params,
    validate_schema,
)

MAX_SIGNATURE_FILE_BYTES = 16 << 20


class CliOutput(tuple):
    """``(code, stdout)`` (unpacks as a pair) with an extra ``stderr`` attribute."""

    stderr: str

    def __new__(cls, code: int, stdout: str, stderr: str = "") -> CliOutput:
        self = super().__new__(cls, (code, stdout))
        self.stderr = stderr
        return self

    @property
    def code(self) -> int:
        return self[0]

    @property
    def stdout(self) -> str:
        return self[1]


# ---------------------------------------------------------------------------------------------
# the command


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("signature", help="show, infer, set or remove a model signature")
    ssub = p.add_subparsers(dest="sig_command", metavar="ACTION", required=True, parser_class=Parser)
    s = ssub.add_parser("show", help="print the signature (MLflow 3 canonical form)")
    s.add_argument("model")
    s.add_argument("--json", action="store_true")
    s = ssub.add_parser("infer", help="infer a signature from a data file")
    s.add_argument("data")
    s.add_argument("--outputs", help="a predictions file to infer the outputs from")
    s.add_argument("--json", action="store_true")
    s = ssub.add_parser("set", help="replace the signature from a JSON file")
    s.add_argument("model")
    s.add_argument("--from", dest="from_file", required=True, help="SIGNATURE.json")
    s.add_argument("--dialect", choices=["keep", "current", "legacy"], default="keep")
    s.add_argument("--copy-to", help="write a copy of the model here; leave the original alone")
    s = ssub.add_parser("remove", help="remove the signature")
    s.add_argument("model")
    p.set_defaults(func=cmd_signature)


def cmd_signature(args: argparse.Namespace) -> int:
    if args.sig_command == "show":
        result = show(args.model, as_json=args.json)
    elif args.sig_command == "infer":
        result = infer(args.data, outputs=args.outputs, as_json=args.json)
    elif args.sig_command == "set":
        result = set_signature(args.model, args.from_file, dialect=args.dialect, copy_to=args.copy_to)
    else:
        result = remove(args.model)
    code, text = result
    for stream, chunk in ((sys.stdout if code == EXIT_OK else sys.stderr, text),
                          (sys.stderr, getattr(result, "stderr", ""))):
        if chunk:
            stream.write(chunk if chunk.endswith("\n") else chunk + "\n")
    return code


# ---------------------------------------------------------------------------------------------
# show


def show(model: str | Path, as_json: bool = False) -> CliOutput:
    """Print a model's signature: a table, or (``--json``) the canonical form ``set`` reads back."""
    with load_model(model) as doc:
        sig = doc.signature
        if doc.signature_error:
            raise SchemaError(f"the signature cannot be read: {doc.signature_error}", doc.mlmodel_location)
        if as_json:
            return CliOutput(EXIT_OK, json.dumps(sig.to_canonical() if sig else None, indent=2, ensure_ascii=False) + "\n")
        if sig is None:
            return CliOutput(EXIT_OK, f"{doc.location}: no signature\n")
        lines = [f"signature of {doc.location} (written as: {_dialect_text(doc.signature_dialect)})"]
        if doc.is_signature_from_type_hint:
            lines.append("note: built from type hints (is_signature_from_type_hint: true); MLflow does not enforce it as a schema")
        lines.append(format_signature(sig))
        notes = [*(sig.compat_problems()), *(f"{'error' if i.fatal else 'warning'}: {i.message}" for i in sig.validate())]
        lines.extend(notes)
        return CliOutput(EXIT_OK, "\n".join(lines) + "\n")


def _dialect_text(dialect: str | None) -> str:
    return {
        "required": "mlflow >= 2.10 format, with 'required'",
        "optional": "mlflow 2.5-2.9 format, with 'optional' (mlflow >= 2.19 cannot read it)",
        "none": "legacy format without 'required' (readable by every mlflow)",
    }.get(dialect or "", str(dialect))


# ---------------------------------------------------------------------------------------------
# infer


def infer(data: str | Path, outputs: str | Path | None = None, as_json: bool = False) -> CliOutput:
    """Infer a signature from a data file (and a predictions file), like ``infer_signature``."""
    loaded = load_data_file(data)
    out_data = None
    warnings = list(loaded.warnings)
    if outputs is not None:
        out_loaded = load_data_file(outputs, predictions=True)
        out_data = out_loaded.data
        warnings.extend(out_loaded.warnings)
    sig, msgs = infer_signature(loaded.data, out_data, loaded.params)
    warnings.extend(msgs)
    warn_text = "".join(f"warning: {w}\n" for w in warnings)
    if as_json:
        return CliOutput(EXIT_OK, json.dumps(sig.to_canonical(), indent=2, ensure_ascii=False) + "\n", warn_text)
    text = (
        f"signature inferred from {data}" + (f" and {outputs}" if outputs else "") + ":\n"
        + format_signature(sig) + "\n" + warn_text
        + "save it with: mlmanager signature infer ... --json > sig.json; "
        "mlmanager signature set MODEL --from sig.json\n"
    )
    return CliOutput(EXIT_OK, text)


# ---------------------------------------------------------------------------------------------
# set / remove


def load_signature_file(path: str | Path) -> Signature:
    """Read SIGNATURE.json; raise SchemaError listing every problem (see :func:`signature_problems`)."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_SIGNATURE_FILE_BYTES:
            raise ModelReadError(f"file larger than {MAX_SIGNATURE_FILE_BYTES:,} bytes", p)
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ModelReadError("no such file", p) from None
    except UnicodeDecodeError as exc:
        raise ModelReadError(f"not UTF-8 text (byte {exc.start})", p) from None
    except OSError as exc:
        raise ModelReadError(f"cannot read: {exc.strerror}", p) from None
    try:
        decoded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", p) from None
    except (ValueError, RecursionError) as exc:
        raise SchemaError(f"invalid JSON: {exc}", p) from None
    sig, problems = signature_problems(decoded)
    if problems or sig is None:
        n = len(problems)
        listing = "\n".join(f"  - {m}" for m in problems)
        raise SchemaError(f"the signature has {n} problem{'s' if n != 1 else ''}; nothing was written:\n{listing}", p)
    return sig


def signature_problems(decoded: Any) -> tuple[Signature | None, list[str]]:
    """Parse a signature document and collect *every* problem (not just the first).

    Accepts the canonical form ``{"inputs": [...], "outputs": [...], "params": [...]}`` (what
    ``signature show --json`` prints), MLflow's ``ModelSignature.to_dict()`` form (each part a
    JSON string), and either wrapped as ``{"signature": {...}}``.
    """
    problems: list[str] = []
    if isinstance(decoded, dict) and set(decoded) == {"signature"}:
        decoded = decoded["signature"]
    if not isinstance(decoded, dict):
        return None, ["a signature must be a JSON object with inputs, outputs and/or params"]
    unknown = sorted(map(str, set(decoded) - set(SECTIONS)))
    if unknown:
        problems.append(f"unknown keys {unknown}: expected inputs, outputs, params")
    parts: dict[str, Any] = {}
    for section in SECTIONS:
        value = decoded.get(section)
        if isinstance(value, str) and value.strip():
            try:
                value = json.loads(value)
            except ValueError as exc:
                problems.append(f"{section}: not valid JSON: {exc}")
                parts[section] = None
                continue
        if value is None or value == "":
            parts[section] = None
            continue
        if not isinstance(value, list):
            problems.append(f"{section} must be a list (or null), found {type(value).__name__}")
            parts[section] = None
            continue
        if not value:
            problems.append(
                f"{section} is an empty list, which MLflow cannot load; use null to leave it out"
            )
            parts[section] = None
            continue
        parts[section] = (_params_problems if section == "params" else _schema_problems)(value, section, problems)
    if not problems and all(v is None for v in parts.values()):
        problems.append("the signature has no inputs, outputs or params; use `signature remove` instead")
    if problems:
        return None, _dedupe(problems)
    return Signature(parts["inputs"], parts["outputs"], parts["params"]), []


def _schema_problems(items: list[Any], section: str, problems: list[str]) -> Schema | None:
    specs: list[Spec] = []
    ok = True
    for i, item in enumerate(items):
        try:
            specs.append(parse_spec(item, section, i))
        except SchemaError as exc:
            problems.append(exc.message)
            specs.append(_placeholder(item))
            ok = False
    # the rules between rows (names, mixing) still run, with a stand-in for each broken row
    schema = Schema(tuple(specs))
    for issue in validate_schema(schema, section):
        if issue.fatal:
            where = f"signature.{section}[{issue.index}]" if issue.index is not None else f"signature.{section}"
            col = f" (column {issue.column!r})" if issue.column is not None else ""
            problems.append(f"{where}{col}: {issue.message}")
    return schema if ok else None


def _placeholder(item: Any) -> Spec:
    """A stand-in for a row that did not parse: same name and kind, a type that raises nothing."""
    name = item.get("name") if isinstance(item, dict) else None
    if isinstance(name, (dict, list)):
        name = str(name)
    if isinstance(item, dict) and item.get("type") == "tensor":
        return TensorSpec("float64", (-1,), name)
    return ColSpec(AnyType(), name, True)


def _params_problems(items: list[Any], section: str, problems: list[str]) -> ParamSchema | None:
    parsed: list[tuple[int, Any]] = []
    for i, item in enumerate(items):
        try:
            parsed.extend((i, p) for p in parse_params([item]).params)
        except SchemaError as exc:
            problems.append(exc.message.replace("signature.params[0]", f"signature.params[{i}]", 1))
    schema = ParamSchema(tuple(p for _, p in parsed))
    for issue in validate_params(schema):
        if issue.fatal:
            index = parsed[issue.index][0] if issue.index is not None and parsed else None
            problems.append(f"signature.params[{index}]: {issue.message}")
    return schema if len(parsed) == len(items) else None


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    return [m for m in items if not (m in seen or seen.add(m))]


def set_signature(
    model: str | Path,
    source: str | Path,
    dialect: str = "keep",
    copy_to: str | Path | None = None,
) -> CliOutput:
    """Replace a model's signature with SIGNATURE.json (``--copy-to``: write a copy instead).

    Invalid signatures raise SchemaError listing every problem, and nothing is written. Like
    MLflow's ``set_signature``, only the signature changes (plus the type-hint flags, reset to
    false when present: the new signature does not come from type hints).
    """
    new_sig = load_signature_file(source)
    with load_model(model) as doc:
        old_sig = doc.signature
        if old_sig is not None:  # keep the file's key order (1.x name-first, 2.x params order)
            new_sig = dataclasses.replace(new_sig, style=old_sig.style)
        flags = None
        if old_sig is None or old_sig.to_canonical() != new_sig.to_canonical():
            flags = {k: False for k in FLAG_KEYS if k in doc.data}
        text = doc.with_signature(new_sig, dialect=dialect, type_hint_flags=flags)
        old_dialect = doc.signature_dialect
        if copy_to is not None:
            new_doc = save_as_copy(doc, text, copy_to)
            where = f"wrote a copy of the model to {new_doc.location}"
            extra = new_doc.problems
            new_doc.close()
        else:
            if text == doc.text:
                return CliOutput(EXIT_OK, f"{doc.location}: the signature is already this one; nothing written\n")
            new_doc = save_text(doc, text)
            where = f"updated {new_doc.mlmodel_location} (previous file kept as MLmodel.bak)"
            extra = []
            new_doc.close()
    lines = [where]
    changes = diff_signatures(old_sig, new_sig)
    if changes:
        lines.extend(f"  {c.describe()}" for c in changes)
    else:
        lines.append("  no change to the signature")
    new_dialect = _written_dialect(text)
    if old_dialect in ("none", None) and new_dialect == "required" and old_sig is not None:
        lines.append("note: the signature now uses the 'required' key: mlflow < 2.10 can no longer load this model")
    if old_dialect == "optional" and new_dialect == "required":
        lines.append("note: converted from the 2.5-2.9 'optional' format, which mlflow >= 2.19 cannot read")
    lines.extend(f"note: {p}" for p in extra)
    return CliOutput(EXIT_OK, "\n".join(lines) + "\n")


def _written_dialect(text: str) -> str | None:
    data = load_yaml_text(text)
    raw = data.get("signature") if isinstance(data, dict) else None
    return None if raw is None else detect_dialect(raw)


def remove(model: str | Path) -> CliOutput:
    """Delete the signature (and the two type-hint flags); never writes ``'[]'`` or all-null."""
    with load_model(model) as doc:
        if not any(k in doc.data for k in SIGNATURE_KEYS):
            return CliOutput(EXIT_OK, f"{doc.location}: no signature; nothing written\n")
        text = doc.with_signature(None)
        new_doc = save_text(doc, text)
        where = new_doc.mlmodel_location
        new_doc.close()
    return CliOutput(EXIT_OK, f"removed the signature from {where} (previous file kept as MLmodel.bak)\n")
