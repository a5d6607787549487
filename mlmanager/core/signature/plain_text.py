"""A signature as a plain-text table (the command line's ``signature show`` and the editor's
infer and save dialogs show the same text)."""

from __future__ import annotations

import json

from mlmanager.core.signature.schema import ColSpec, Schema, Signature, Spec, TensorSpec


def format_signature(sig: Signature) -> str:
    """A plain-text table of the signature."""
    out: list[str] = []
    for section in ("inputs", "outputs"):
        schema: Schema | None = getattr(sig, section)
        if schema is None:
            out.append(f"{section}: (not specified)")
            continue
        out.append(f"{section} ({_schema_kind(schema)}):")
        rows = [_spec_row(i, s) for i, s in enumerate(schema.specs)]
        out.extend(_table(rows))
    if sig.params is not None:
        out.append(f"params ({len(sig.params)}):")
        rows = [
            [
                str(i + 1),
                str(p.name),
                f"{p.type}{'[]' if p.shape is not None else ''}",
                "default " + json.dumps(p.default, ensure_ascii=False, default=str),
            ]
            for i, p in enumerate(sig.params.params)
        ]
        out.extend(_table(rows))
    return "\n".join(out)


def _schema_kind(schema: Schema) -> str:
    n = len(schema.specs)
    named = "named" if schema.has_names else "unnamed"
    if schema.is_tensor:
        return f"{n} {named} tensor{'s' if n != 1 else ''}"
    return f"{n} {named} column{'s' if n != 1 else ''}"


def _spec_row(i: int, spec: Spec) -> list[str]:
    name = "(unnamed)" if spec.name is None else str(spec.name)
    if isinstance(spec, TensorSpec):
        return [str(i + 1), name, f"tensor {spec.dtype}", str(list(spec.shape))]
    assert isinstance(spec, ColSpec)
    return [str(i + 1), name, str(spec.type), "required" if spec.is_required else "optional"]


def _table(rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["  (empty)"]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
