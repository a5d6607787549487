"""Differences between two signatures, column by column: the editor's proposal diff and
``mlmanager diff``. Named columns/params are matched by name (duplicates by occurrence), unnamed
ones by position; a minimal set of rows (outside a longest common order) is reported as moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlmanager.core.signature.schema import (
    ColSpec,
    ParamSpec,
    Schema,
    Signature,
    Spec,
    TensorSpec,
)

COLUMN_SECTIONS = ("inputs", "outputs")


@dataclass(frozen=True)
class Change:
    """One difference between two signatures.

    ``before``/``after``: the old/new value; for ``added``/``removed`` ``before`` is the row
    index and ``after`` a summary of the row. ``kind``: signature_added | signature_removed | section_added | section_removed |
    section_kind_changed | added | removed | renamed | moved | type_changed | required_changed |
    dtype_changed | shape_changed | default_changed (params use added/removed/moved/renamed/
    type_changed/shape_changed/default_changed with ``section="params"``).
    """

    kind: str
    section: str | None
    label: str | None = None  # repr of the column/param name, or "#3" for unnamed rows
    before: Any = None
    after: Any = None

    def describe(self) -> str:
        where = f"{self.section}: " if self.section else ""
        what = "param" if self.section == "params" else "column"
        k, lbl, b, a = self.kind, self.label, self.before, self.after
        if k == "signature_added":
            return "signature added"
        if k == "signature_removed":
            return "signature removed"
        if k == "section_added":
            return f"{where}added ({a})"
        if k == "section_removed":
            return f"{where}removed (was {b})"
        if k == "section_kind_changed":
            return f"{where}changed from {b} to {a}"
        if k == "added":
            return f"{where}added {what} {lbl} ({a}) at position {self._pos()}"
        if k == "removed":
            return f"{where}removed {what} {lbl} ({a})"
        if k == "renamed":
            return f"{where}{what} {lbl} renamed {b!r} -> {a!r}"
        if k == "moved":
            return f"{where}{what} {lbl} moved from position {b + 1} to {a + 1}"
        if k == "required_changed":
            return f"{where}{what} {lbl} is now {'required' if a else 'optional'}"
        if k == "default_changed":
            return f"{where}{what} {lbl} default {_show(b)} -> {_show(a)}"
        field_name = {"type_changed": "type", "dtype_changed": "dtype", "shape_changed": "shape"}.get(k, k)
        return f"{where}{what} {lbl} {field_name} {b} -> {a}"

    def _pos(self) -> str:
        return "?" if self.before is None else str(self.before + 1)


def _show(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _keys(names: list[Any]) -> list[tuple[Any, int]]:
    """Names made unique by occurrence, so duplicated names still pair up one to one."""
    seen: dict[Any, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append((n, k))
    return out


def _lis_keep(seq: list[int]) -> set[int]:
    """Positions (into ``seq``) of one longest increasing subsequence (patience sorting)."""
    import bisect

    tails: list[int] = []
    tails_pos: list[int] = []
    prev = [-1] * len(seq)
    for i, v in enumerate(seq):
        j = bisect.bisect_left(tails, v)
        if j == len(tails):
            tails.append(v)
            tails_pos.append(i)
        else:
            tails[j] = v
            tails_pos[j] = i
        prev[i] = tails_pos[j - 1] if j > 0 else -1
    keep: set[int] = set()
    i = tails_pos[-1] if tails_pos else -1
    while i != -1:
        keep.add(i)
        i = prev[i]
    return keep


def _summary(item: Spec | ParamSpec) -> str:
    """A spec without its name: ``double``, ``string (optional)``, ``tensor float64 [-1]``."""
    if isinstance(item, TensorSpec):
        return f"tensor {item.dtype} {list(item.shape)}"
    if isinstance(item, ColSpec):
        return f"{item.type}{'' if item.is_required else ' (optional)'}"
    shape = "[]" if item.shape is not None else ""
    return f"{item.type}{shape} = {_show(item.default)}"


def _spec_label(spec: Spec | ParamSpec, index: int) -> str:
    return repr(spec.name) if spec.name is not None else f"#{index + 1}"


def _compare_specs(section: str, label: str, a: Spec, b: Spec) -> list[Change]:
    out: list[Change] = []
    if isinstance(a, TensorSpec) and isinstance(b, TensorSpec):
        if a.dtype != b.dtype:
            out.append(Change("dtype_changed", section, label, a.dtype, b.dtype))
        if tuple(a.shape) != tuple(b.shape):
            out.append(Change("shape_changed", section, label, list(a.shape), list(b.shape)))
        return out
    if isinstance(a, ColSpec) and isinstance(b, ColSpec):
        if a.type != b.type:
            out.append(Change("type_changed", section, label, str(a.type), str(b.type)))
        if a.is_required != b.is_required:
            out.append(Change("required_changed", section, label, a.is_required, b.is_required))
        return out
    out.append(Change("type_changed", section, label, _summary(a), _summary(b)))
    return out


def _diff_schema(section: str, a: Schema, b: Schema) -> list[Change]:
    if a.is_tensor != b.is_tensor and a.specs and b.specs:
        kind = lambda s: "tensors" if s.is_tensor else "columns"  # noqa: E731
        return [Change("section_kind_changed", section, None, f"{kind(a)} ({a.describe()})", f"{kind(b)} ({b.describe()})")]
    named = a.has_names and b.has_names and all(s.name is not None for s in (*a.specs, *b.specs))
    changes: list[Change] = []
    if not named:  # positional
        for i in range(min(len(a.specs), len(b.specs))):
            sa, sb = a.specs[i], b.specs[i]
            label = f"#{i + 1}"
            if sa.name != sb.name:
                changes.append(Change("renamed", section, label, sa.name, sb.name))
            changes.extend(_compare_specs(section, label, sa, sb))
        for i in range(len(b.specs), len(a.specs)):
            changes.append(Change("removed", section, _spec_label(a.specs[i], i), None, _summary(a.specs[i])))
        for i in range(len(a.specs), len(b.specs)):
            changes.append(Change("added", section, _spec_label(b.specs[i], i), i, _summary(b.specs[i])))
        return changes
    return _diff_named(section, list(a.specs), list(b.specs), _compare_specs)


def _diff_named(section: str, a_items: list[Any], b_items: list[Any], compare: Any) -> list[Change]:
    ka = _keys([s.name for s in a_items])
    kb = _keys([s.name for s in b_items])
    pos_a = {k: i for i, k in enumerate(ka)}
    pos_b = {k: i for i, k in enumerate(kb)}
    changes: list[Change] = []
    for i, k in enumerate(ka):
        if k not in pos_b:
            changes.append(Change("removed", section, repr(k[0]), i, _summary(a_items[i])))
    common_b = [k for k in kb if k in pos_a]
    keep = _lis_keep([pos_a[k] for k in common_b])
    for j, k in enumerate(common_b):
        if j not in keep:
            changes.append(Change("moved", section, repr(k[0]), pos_a[k], pos_b[k]))
    for i, k in enumerate(kb):
        if k not in pos_a:
            changes.append(Change("added", section, repr(k[0]), i, _summary(b_items[i])))
        else:
            changes.extend(compare(section, repr(k[0]), a_items[pos_a[k]], b_items[i]))
    return changes


def _compare_params(section: str, label: str, a: ParamSpec, b: ParamSpec) -> list[Change]:
    out = []
    if a.type != b.type:
        out.append(Change("type_changed", section, label, str(a.type), str(b.type)))
    if a.shape != b.shape:
        show = lambda s: "scalar" if s is None else list(s)  # noqa: E731
        out.append(Change("shape_changed", section, label, show(a.shape), show(b.shape)))
    if a.default != b.default or type(a.default) is not type(b.default):
        out.append(Change("default_changed", section, label, a.default, b.default))
    return out


def diff_signatures(a: Signature | None, b: Signature | None) -> list[Change]:
    """Differences from ``a`` to ``b``, column by column (named columns are matched by name,
    unnamed ones by position; a minimal set of columns is reported as moved)."""
    if a is None and b is None:
        return []
    if a is None:
        return [Change("signature_added", None, None, None, b.describe() if b else None)]
    if b is None:
        return [Change("signature_removed", None, None, a.describe(), None)]
    changes: list[Change] = []
    for section in COLUMN_SECTIONS:
        sa, sb = getattr(a, section), getattr(b, section)
        if sa is None and sb is None:
            continue
        if sa is None:
            changes.append(Change("section_added", section, None, None, sb.describe() or "empty"))
        elif sb is None:
            changes.append(Change("section_removed", section, None, sa.describe() or "empty", None))
        else:
            changes.extend(_diff_schema(section, sa, sb))
    pa, pb = a.params, b.params
    if pa is not None or pb is not None:
        if pa is None:
            changes.append(Change("section_added", "params", None, None, ", ".join(p.describe() for p in pb.params) or "empty"))
        elif pb is None:
            changes.append(Change("section_removed", "params", None, ", ".join(p.describe() for p in pa.params) or "empty", None))
        else:
            changes.extend(_diff_named("params", list(pa.params), list(pb.params), _compare_params))
    return changes
