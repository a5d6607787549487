"""After a signature edit: do the saved input examples still match? And a fix when one is easy.

Pure Python (no Qt; runs in a worker thread). MLflow never re-checks the examples when the
signature changes (spec §9.2), so a renamed or removed column silently breaks
``input_example.json`` / ``serving_input_example.json``. Both are checked with the serving
semantics of ``core.validation`` (``input_example.json`` is wrapped the way MLflow builds the
serving example from it). For table examples with a named column schema a fix is proposed:
rename columns that were renamed, drop columns the signature no longer has, and put them in
the signature's order. Missing required columns and wrong values cannot be invented; they are
reported with what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.inputs.reader import read_json_input
from mlmanager.core.inputs.validation import validate_input
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.examples import load_input_example, parse_example, parse_json_bytes
from mlmanager.core.signature.schema import ColSpec, Schema, Signature


@dataclass
class ExampleFix:
    rel: str  # file relative to the model folder
    text: str  # the new content
    changes: list[str]
    valid_after: bool | None = None  # does the fixed file pass?
    problems_after: list[str] = field(default_factory=list)


@dataclass
class ExampleReport:
    rel: str
    valid: bool | None  # None: could not be checked
    problems: list[str] = field(default_factory=list)
    fix: ExampleFix | None = None

    def describe(self) -> str:
        if self.valid:
            return f"{self.rel}: matches the signature"
        if self.valid is None:
            return f"{self.rel}: could not be checked: " + "; ".join(self.problems)
        lines = [f"{self.rel} does not match the new signature:"]
        lines += [f"  • {p}" for p in self.problems[:6]]
        if len(self.problems) > 6:
            lines.append(f"  • … and {len(self.problems) - 6} more")
        return "\n".join(lines)


def renames(old: Schema | None, new: Schema | None) -> dict[Any, Any]:
    """Old name -> new name for columns that look renamed (same count removed and added)."""
    if old is None or new is None or old.is_tensor or new.is_tensor:
        return {}
    if not (old.has_names and new.has_names):
        return {}
    old_names, new_names = [s.name for s in old.specs], [s.name for s in new.specs]
    removed = [n for n in old_names if n not in new_names]
    added = [n for n in new_names if n not in old_names]
    mapping: dict[Any, Any] = {}
    for j, name in enumerate(new_names):  # a new name where an old one disappeared
        if name in added and j < len(old_names) and old_names[j] in removed:
            mapping.setdefault(old_names[j], name)
    if not mapping and removed and len(removed) == len(added):
        mapping = dict(zip(removed, added))
    return mapping


def positional_renames(columns: list[Any], names: list[Any]) -> dict[Any, Any]:
    """Same number of columns: a column unknown to the signature at the position of a signature
    name the example lacks was most likely renamed to it."""
    if len(columns) != len(names):
        return {}
    return {c: n for c, n in zip(columns, names) if c not in names and n not in columns}


def _problem_lines(result: Any) -> list[str]:
    out = []
    for p in result.errors:
        where = f"[{p.column}] " if p.column is not None else ""
        line = where + p.message.splitlines()[0]
        if p.fix:
            line += f" (fix: {p.fix})"
        out.append(line)
    return out


def _validate_document(sig: Signature, document: Any, type_hint: bool) -> Any:
    raw = read_json_input(json.dumps(document, allow_nan=True))
    return validate_input(sig, raw, "serving", type_hint)


def _as_serving(example: Any) -> Any:
    """The serving request body MLflow derives from an input example (what the endpoint receives)."""
    if example.kind == "dataframe":
        body: Any = {"dataframe_split": {"columns": example.columns, "data": example.data}}
        if example.columns is None:
            body = {"dataframe_split": {"data": example.data}}
    else:
        body = {"inputs": example.data}
    if example.params:
        body["params"] = example.params
    return body


def check_examples(model_dir: str | Path, old_sig: Signature | None) -> list[ExampleReport]:
    """Check the model's examples against its (new) signature; ``old_sig`` helps find renames."""
    reports: list[ExampleReport] = []
    with load_model(model_dir) as doc:
        sig = doc.signature
        info = doc.saved_input_example_info
        if sig is None or sig.inputs is None or info is None:
            return reports
        type_hint = bool(doc.is_signature_from_type_hint)
        rename_map = renames(old_sig.inputs if old_sig else None, sig.inputs)
        root = doc.root
        rel = info.get("artifact_path") if isinstance(info.get("artifact_path"), str) else "input_example.json"
        try:
            example = load_input_example(doc)
        except MlmanagerError as exc:
            reports.append(ExampleReport(rel, None, [str(exc)]))
            example = None
        if example is not None:
            result = _validate_document(sig, _as_serving(example), type_hint)
            report = ExampleReport(rel, result.valid, _problem_lines(result))
            if not result.valid and root is not None:
                raw = parse_json_bytes((root / rel).read_bytes(), rel)
                report.fix = _fix_file(rel, raw, (root / rel).read_text("utf-8"), sig, rename_map,
                                       info, serving=False, type_hint=type_hint)
            reports.append(report)
        serving_rel = info.get("serving_input_path")
        if isinstance(serving_rel, str) and serving_rel and root is not None:
            path = root / serving_rel
            try:
                text = path.read_text("utf-8")
                raw = parse_json_bytes(text.encode("utf-8"), serving_rel)
            except (OSError, UnicodeDecodeError, MlmanagerError) as exc:
                reports.append(ExampleReport(serving_rel, None, [str(exc)]))
            else:
                result = _validate_document(sig, raw, type_hint)
                report = ExampleReport(serving_rel, result.valid, _problem_lines(result))
                if not result.valid:
                    report.fix = _fix_file(serving_rel, raw, text, sig, rename_map, info,
                                           serving=True, type_hint=type_hint)
                reports.append(report)
    return reports


def _table_holder(raw: Any, info: dict, serving: bool) -> tuple[Any, str] | None:
    """The container of the table inside the example JSON and the key of the table in it."""
    if serving:
        if isinstance(raw, dict):
            for key in ("dataframe_split", "dataframe_records"):
                if key in raw:
                    return raw, key
        return None
    if info.get("type") != "dataframe":
        return None
    if isinstance(raw, dict) and "inputs" in raw and ("params" in raw or set(raw) == {"inputs"}):
        return raw, "inputs"
    return {"_": raw}, "_"


def fix_table(table: Any, schema: Schema, rename_map: dict[Any, Any]) -> tuple[Any, list[str]]:
    """Rename/drop/reorder the columns of a split dict or a list of records."""
    names = [s.name for s in schema.specs if isinstance(s, ColSpec)]
    changes: list[str] = []
    if isinstance(table, dict) and isinstance(table.get("columns"), list) and isinstance(table.get("data"), list):
        cols = list(table["columns"])
        rename_map = {**positional_renames(cols, names), **rename_map}
        for i, c in enumerate(cols):
            if c in rename_map and rename_map[c] not in cols:
                changes.append(f"renamed column {c!r} to {rename_map[c]!r}")
                cols[i] = rename_map[c]
        keep = [n for n in names if n in cols]
        dropped = [c for c in cols if c not in names]
        changes += [f"removed column {c!r} (not in the signature)" for c in dropped]
        if [c for c in cols if c in names] != keep:
            changes.append("put the columns in the signature's order")
        order = [cols.index(n) for n in keep]
        rows = [[row[i] if isinstance(row, list) and i < len(row) else None for i in order]
                for row in table["data"]]
        new = dict(table)
        new["columns"], new["data"] = keep, rows
        return new, changes
    if isinstance(table, list) and all(isinstance(r, dict) for r in table):
        present = {k for r in table for k in r}
        order = list(dict.fromkeys(k for r in table for k in r))
        rename_map = {**positional_renames(order, names), **rename_map}
        for old, new_name in rename_map.items():
            if old in present and new_name not in present:
                changes.append(f"renamed column {old!r} to {new_name!r}")
        rows = []
        for r in table:
            renamed = {}
            for k, v in r.items():
                target = rename_map.get(k, k)
                renamed[k if target != k and target in r else target] = v
            rows.append({n: renamed[n] for n in names if n in renamed})
        dropped = sorted(str(k) for k in {rename_map.get(k, k) for k in present} if k not in names)
        changes += [f"removed column {c!r} (not in the signature)" for c in dropped]
        return rows, changes
    return table, changes


def _fix_file(rel: str, raw: Any, text: str, sig: Signature, rename_map: dict[Any, Any], info: dict,
              *, serving: bool, type_hint: bool) -> ExampleFix | None:
    schema = sig.inputs
    if schema is None or schema.is_tensor or not schema.has_names:
        return None
    holder = _table_holder(raw, info, serving)
    if holder is None:
        return None
    container, key = holder
    table, changes = fix_table(container[key], schema, rename_map)
    if not changes:
        return None
    container = dict(container)
    container[key] = table
    new_raw = container["_"] if key == "_" else container
    if "\n" in text.strip():
        new_text = json.dumps(new_raw, indent=2, allow_nan=True)
    else:
        new_text = json.dumps(new_raw, allow_nan=True)
    fix = ExampleFix(rel, new_text, changes)
    check_doc = new_raw if serving else _wrap_fixed(new_raw, info)
    if check_doc is not None:
        result = _validate_document(sig, check_doc, type_hint)
        fix.valid_after = result.valid
        fix.problems_after = _problem_lines(result)
    return fix


def _wrap_fixed(raw: Any, info: dict) -> Any:
    try:
        example = parse_example(raw, info)
    except MlmanagerError:
        return None
    return _as_serving(example)


def apply_fix(model_dir: str | Path, fix: ExampleFix) -> None:
    """Write the fixed example atomically (the previous file is kept as ``<name>.bak``)."""
    root = Path(model_dir)
    atomic_write(root / fix.rel, fix.text.encode("utf-8"), root=root, backup=True)
