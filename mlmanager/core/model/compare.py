"""Compare two models: signature, flavors, environment, metadata, files, and what would break.

``compare_models(a, b)`` reads both ``MLmodel`` files (folders, MLmodel files or zips) and lists

* the signature changes column by column (``edits.diff_signatures``: added, removed, renamed,
  moved, type/required/dtype/shape changed, params);
* flavor differences (flavors added/removed, every changed config key);
* environment differences (Python version, serialization format, scikit-learn version and each
  requirement added, removed or re-pinned);
* metadata differences (every other top-level key of ``MLmodel``, ``metadata`` key by key);
* file differences (added, removed, resized, same size but other content);
* ``breaks``: what an input that is valid for A would do in B under MLflow's Python-mode
  enforcement (``PyFuncModel.predict``): a column B requires that A does not have (or has as
  optional), a type B rejects (checked with :mod:`mlmanager.core.inputs.enforce` on a column of the
  dtype A's type stands for), a tensor dtype/shape B refuses, a param value B refuses. Columns B
  drops and params B ignores are listed as warnings.

Nothing is loaded or run; pandas is imported only when two signatures need the type check.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.environments.requirements import model_requirements
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.artifacts import doc_artifacts
from mlmanager.core.model.mlmodel import ModelDocument, load_model, same_data
from mlmanager.core.signature.edits import diff_signatures
from mlmanager.core.signature.schema import AnyType, ColSpec, ScalarType, Schema, check_param_value

_ENV_FLAVOR_KEYS = ("python_version", "serialization_format", "sklearn_version")
_SIG_KEYS = ("signature", "is_signature_from_type_hint", "type_hint_from_example")
MAX_HASH_BYTES = 256 << 20


@dataclass(frozen=True)
class Difference:
    """One difference outside the signature. ``kind``: added | removed | changed."""

    area: str  # flavors | environment | metadata | files
    key: str
    kind: str
    a: Any = None
    b: Any = None

    def describe(self) -> str:
        if self.kind == "added":
            return f"{self.key}: added ({_show(self.b)})"
        if self.kind == "removed":
            return f"{self.key}: removed (was {_show(self.a)})"
        return f"{self.key}: {_show(self.a)} -> {_show(self.b)}"

    def to_json(self) -> dict[str, Any]:
        return {"area": self.area, "key": self.key, "kind": self.kind, "a": _jsonable(self.a),
                "b": _jsonable(self.b), "message": self.describe()}


@dataclass(frozen=True)
class Breakage:
    """What happens in B to an input that is valid for A. ``severity``: error | warning."""

    message: str
    column: Any = None
    section: str = "inputs"  # inputs | params
    severity: str = "error"

    def to_json(self) -> dict[str, Any]:
        return {"section": self.section, "column": _jsonable(self.column),
                "severity": self.severity, "message": self.message}


@dataclass
class Comparison:
    a: str
    b: str
    signature: list[Any] = field(default_factory=list)  # edits.Change
    flavors: list[Difference] = field(default_factory=list)
    environment: list[Difference] = field(default_factory=list)
    metadata: list[Difference] = field(default_factory=list)
    files: list[Difference] = field(default_factory=list)
    breaks: list[Breakage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a signature that could not be read

    @property
    def identical(self) -> bool:
        return not (self.signature or self.flavors or self.environment or self.metadata
                    or self.files)

    @property
    def breaking(self) -> list[Breakage]:
        return [b for b in self.breaks if b.severity == "error"]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "identical": self.identical,
            "signature": [
                {"kind": c.kind, "section": c.section, "label": c.label,
                 "before": _jsonable(c.before), "after": _jsonable(c.after), "message": c.describe()}
                for c in self.signature
            ],
            "flavors": [d.to_json() for d in self.flavors],
            "environment": [d.to_json() for d in self.environment],
            "metadata": [d.to_json() for d in self.metadata],
            "files": [d.to_json() for d in self.files],
            "breaks": [b.to_json() for b in self.breaks],
            "notes": list(self.notes),
        }

    def format(self) -> str:
        out = [f"A: {self.a}", f"B: {self.b}"]
        if self.identical:
            out.append("The models are identical.")
            return "\n".join(out)
        sections = (
            ("Signature", [c.describe() for c in self.signature]),
            ("Flavors", [d.describe() for d in self.flavors]),
            ("Environment", [d.describe() for d in self.environment]),
            ("Metadata", [d.describe() for d in self.metadata]),
            ("Files", [d.describe() for d in self.files]),
        )
        for title, lines in sections:
            if lines:
                out.append(f"{title}:")
                out.extend(f"  {line}" for line in lines)
        errors = self.breaking
        warnings = [b for b in self.breaks if b.severity != "error"]
        if errors:
            out.append("Inputs valid for A that B rejects:")
            out.extend(f"  - {b.message}" for b in errors)
        elif self.signature:
            out.append("Inputs valid for A are accepted by B.")
        if warnings:
            out.append("Also:")
            out.extend(f"  - {b.message}" for b in warnings)
        out.extend(f"Note: {n}" for n in self.notes)
        return "\n".join(out)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return repr(value)


def _jsonable(value: Any) -> Any:
    """Values from two MLmodel documents: a NaN written there is shown as "NaN" (as inspect does)."""
    return to_jsonable(value, non_finite_as_text=True)


# ---------------------------------------------------------------------------------------------
# Entry point


def compare_models(a: str | os.PathLike[str] | ModelDocument, b: str | os.PathLike[str] | ModelDocument) -> Comparison:
    """Compare model ``a`` with model ``b`` (paths or loaded documents)."""
    doc_a = a if isinstance(a, ModelDocument) else load_model(a)
    try:
        doc_b = b if isinstance(b, ModelDocument) else load_model(b)
    except BaseException:
        if doc_a is not a:
            doc_a.close()
        raise
    try:
        return _compare(doc_a, doc_b)
    finally:
        for doc, given in ((doc_a, a), (doc_b, b)):
            if doc is not given:
                doc.close()


def _compare(a: ModelDocument, b: ModelDocument) -> Comparison:
    result = Comparison(a.location, b.location)
    sig_a, sig_b = a.signature, b.signature
    for doc, label in ((a, "A"), (b, "B")):
        if doc.signature_error:
            result.notes.append(f"{label}'s signature cannot be read: {doc.signature_error}")
    result.signature = diff_signatures(sig_a, sig_b)
    if not result.signature and a.data.get("signature") != b.data.get("signature"):
        # same meaning, other text (dialect): still a difference in the file
        result.metadata.append(Difference("metadata", "signature (format)", "changed",
                                          a.signature_dialect, b.signature_dialect))
    result.flavors = _flavor_diffs(a, b)
    result.environment = _environment_diffs(a, b)
    result.metadata += _metadata_diffs(a, b)
    result.files = _file_diffs(a, b)
    result.breaks = input_breaks(sig_a, sig_b, a.is_signature_from_type_hint is True,
                                 b.is_signature_from_type_hint is True)
    return result


# ---------------------------------------------------------------------------------------------
# Flavors, environment, metadata, files


def _dict_diffs(area: str, prefix: str, a: Any, b: Any, skip: tuple[str, ...] = ()) -> list[Difference]:
    out: list[Difference] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key in skip:
                continue
            label = f"{prefix}.{key}" if prefix else str(key)
            if key not in b:
                out.append(Difference(area, label, "removed", a[key], None))
            elif key not in a:
                out.append(Difference(area, label, "added", None, b[key]))
            elif isinstance(a[key], dict) and isinstance(b[key], dict):
                out += _dict_diffs(area, label, a[key], b[key])
            elif not _same(a[key], b[key]):
                out.append(Difference(area, label, "changed", a[key], b[key]))
        return out
    if not _same(a, b):
        out.append(Difference(area, prefix, "changed", a, b))
    return out


def _same(x: Any, y: Any) -> bool:
    return same_data(x, y)


def _flavor_diffs(a: ModelDocument, b: ModelDocument) -> list[Difference]:
    fa, fb = a.flavors, b.flavors
    out: list[Difference] = []
    for name in sorted(set(fa) | set(fb), key=str):
        if name not in fb:
            out.append(Difference("flavors", str(name), "removed", _flavor_summary(fa[name]), None))
        elif name not in fa:
            out.append(Difference("flavors", str(name), "added", None, _flavor_summary(fb[name])))
        else:
            out += _dict_diffs("flavors", str(name), fa[name], fb[name], skip=_ENV_FLAVOR_KEYS)
    return out


def _flavor_summary(cfg: Any) -> str:
    if not isinstance(cfg, dict):
        return repr(cfg)
    for key in ("loader_module", "pickled_model", "model_path", "data"):
        if cfg.get(key) is not None:
            return f"{key}={cfg[key]}"
    return "flavor"


def _requirements(doc: ModelDocument) -> dict[str, str]:
    try:
        lines = model_requirements(doc).lines
    except MlmanagerError:
        return {}
    out: dict[str, str] = {}
    for line in lines:
        key = _req_name(line)
        out[key] = line
    return out


def _req_name(line: str) -> str:
    try:
        from packaging.requirements import Requirement

        return Requirement(line).name.lower().replace("_", "-")
    except Exception:  # noqa: BLE001 - URLs, -r lines: keep the whole line as the key
        return line.strip()


def _environment_diffs(a: ModelDocument, b: ModelDocument) -> list[Difference]:
    out: list[Difference] = []
    pairs = (
        ("python_version", a.python_version, b.python_version),
        ("serialization_format", a.sklearn_serialization_format, b.sklearn_serialization_format),
        ("sklearn_version", (a.flavor("sklearn") or {}).get("sklearn_version"),
         (b.flavor("sklearn") or {}).get("sklearn_version")),
    )
    for key, va, vb in pairs:
        if va != vb:
            kind = "added" if va is None else "removed" if vb is None else "changed"
            out.append(Difference("environment", key, kind, va, vb))
    # other flavors' python_version etc. (rare) are reported with the flavors
    ra, rb = _requirements(a), _requirements(b)
    for name in sorted(set(ra) | set(rb)):
        if name not in rb:
            out.append(Difference("environment", f"requirements: {name}", "removed", ra[name], None))
        elif name not in ra:
            out.append(Difference("environment", f"requirements: {name}", "added", None, rb[name]))
        elif ra[name] != rb[name]:
            out.append(Difference("environment", f"requirements: {name}", "changed", ra[name], rb[name]))
    return out


def _metadata_diffs(a: ModelDocument, b: ModelDocument) -> list[Difference]:
    skip = ("flavors", *_SIG_KEYS)
    da = {k: v for k, v in a.data.items() if k not in skip}
    db = {k: v for k, v in b.data.items() if k not in skip}
    out = _dict_diffs("metadata", "", da, db)
    for key in _SIG_KEYS[1:]:  # the two type-hint flags (they change enforcement)
        va, vb = a.data.get(key), b.data.get(key)
        if va != vb and not (va in (None, False) and vb in (None, False)):
            out.append(Difference("metadata", key, "changed", va, vb))
    return out


def _hash(doc: ModelDocument, rel: str, size: int) -> str | None:
    if size > MAX_HASH_BYTES:
        return None
    h = hashlib.sha256()
    try:
        with doc.files.open_stream(rel) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                h.update(chunk)
    except (MlmanagerError, OSError):
        return None
    return h.hexdigest()


def _file_diffs(a: ModelDocument, b: ModelDocument) -> list[Difference]:
    fa = {x.path: x for x in doc_artifacts(a)}
    fb = {x.path: x for x in doc_artifacts(b)}
    out: list[Difference] = []
    for path in sorted(set(fa) | set(fb)):
        x, y = fa.get(path), fb.get(path)
        if y is None:
            out.append(Difference("files", path, "removed", f"{x.size:,} bytes", None))
        elif x is None:
            out.append(Difference("files", path, "added", None, f"{y.size:,} bytes"))
        elif x.kind != y.kind and "symlink" in (x.kind, y.kind):
            out.append(Difference("files", path, "changed", x.kind, y.kind))
        elif x.size != y.size:
            out.append(Difference("files", path, "changed", f"{x.size:,} bytes", f"{y.size:,} bytes"))
        elif x.kind not in ("symlink", "special"):
            ha, hb = _hash(a, path, x.size), _hash(b, path, y.size)
            if ha is not None and hb is not None and ha != hb:
                out.append(Difference("files", path, "changed", f"sha256 {ha[:12]}", f"sha256 {hb[:12]}"))
    return out


# ---------------------------------------------------------------------------------------------
# What breaks: an input valid for A, given to B


def input_breaks(sig_a: Any, sig_b: Any, hint_a: bool = False, hint_b: bool = False) -> list[Breakage]:
    """Breakages of A-valid inputs in B (Python-mode enforcement, spec §6)."""
    out: list[Breakage] = []
    in_a = sig_a.inputs if sig_a is not None else None
    in_b = sig_b.inputs if sig_b is not None else None
    if hint_b:
        out.append(Breakage("B's signature comes from type hints: MLflow does not enforce it; "
                            "B's own code checks its input", severity="warning"))
    elif in_b is not None:
        if in_a is None:
            out.append(Breakage(
                "A declares no input schema (it takes any input); B enforces "
                f"[{in_b.describe()}], so inputs A accepts may be rejected"))
        elif in_a.is_tensor != in_b.is_tensor:
            kind = lambda s: "tensors" if s.is_tensor else "columns"  # noqa: E731
            out.append(Breakage(
                f"A takes {kind(in_a)} ({in_a.describe()}) and B takes {kind(in_b)} "
                f"({in_b.describe()}): A's inputs do not fit B"))
        elif in_b.is_tensor:
            out += _tensor_breaks(in_a, in_b)
        else:
            out += _column_breaks(in_a, in_b)
    out += _param_breaks(sig_a.params if sig_a is not None else None,
                         sig_b.params if sig_b is not None else None)
    return out


def _label(name: Any) -> str:
    return repr(name)


def _column_breaks(a: Any, b: Any) -> list[Breakage]:
    out: list[Breakage] = []
    named = a.has_names and b.has_names
    if not named:
        if len(b.specs) > len(a.specs):
            out.append(Breakage(
                f"B expects {len(b.specs)} columns by position, A only {len(a.specs)}: inputs "
                "valid for A are missing columns in B"))
        pairs = list(zip(a.specs, b.specs))
    else:
        by_name = {s.name: s for s in a.specs}
        pairs = []
        for sb in b.specs:
            sa = by_name.get(sb.name)
            if sa is None:
                if sb.is_required:
                    out.append(Breakage(
                        f"B requires column {_label(sb.name)} ({sb.type}), which A does not "
                        "have: inputs valid for A lack it", sb.name))
                continue
            if sb.is_required and not sa.is_required:
                out.append(Breakage(
                    f"column {_label(sb.name)} is optional in A but required in B: inputs "
                    "that leave it out are rejected by B", sb.name))
            pairs.append((sa, sb))
        b_names = {s.name for s in b.specs}
        for sa in a.specs:
            if sa.name not in b_names:
                out.append(Breakage(
                    f"column {_label(sa.name)} is not in B's signature: B drops it (with a "
                    "warning), so the model never sees it", sa.name, severity="warning"))
    for sa, sb in pairs:
        if not (isinstance(sa, ColSpec) and isinstance(sb, ColSpec)) or sa.type == sb.type:
            continue
        if isinstance(sb.type, AnyType):
            continue
        label = sb.name if sb.name is not None else f"#{b.specs.index(sb) + 1}"
        if isinstance(sa.type, ScalarType) and isinstance(sb.type, ScalarType):
            problem = _scalar_rejected(sa.type.name, sb)
            if problem:
                out.append(Breakage(
                    f"column {_label(label)}: {sa.type} in A, {sb.type} in B; B rejects "
                    f"a {sa.type} column: {problem}", label))
        else:
            out.append(Breakage(
                f"column {_label(label)}: {sa.type} in A, {sb.type} in B: values valid for A "
                "do not match B's type", label))
    return out


def _sample_column(type_name: str) -> Any:
    """A one-value pandas column of the dtype that stands for ``type_name`` in Python input."""
    import numpy as np
    import pandas as pd

    samples = {
        "boolean": lambda: pd.Series([True], dtype=bool),
        "integer": lambda: pd.Series(np.array([7], dtype=np.int32)),
        "long": lambda: pd.Series(np.array([7], dtype=np.int64)),
        "float": lambda: pd.Series(np.array([1.5], dtype=np.float32)),
        "double": lambda: pd.Series(np.array([1.5], dtype=np.float64)),
        "string": lambda: pd.Series(["a"]),
        "binary": lambda: pd.Series([b"a"], dtype=object),
        "datetime": lambda: pd.Series(pd.to_datetime(["2020-01-01"])).astype("datetime64[ns]"),
    }
    return samples[type_name]()


def _scalar_rejected(a_type: str, spec_b: Any) -> str | None:
    """The enforcement error B gives a column of A's type, or None when B accepts it."""
    import pandas as pd

    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.enforce import enforce_input

    name = spec_b.name if spec_b.name is not None else "c"
    frame = pd.DataFrame({name: _sample_column(a_type)})
    schema = Schema((ColSpec(spec_b.type, name=name, required=True),))
    result = enforce_input(frame, schema)
    if result.valid:
        return None
    return result.errors[0].message


def _tensor_breaks(a: Any, b: Any) -> list[Breakage]:
    out: list[Breakage] = []
    if a.has_names and b.has_names:
        by_name = {s.name: s for s in a.specs}
        pairs = []
        for sb in b.specs:
            if sb.name not in by_name:
                out.append(Breakage(f"B requires tensor {_label(sb.name)}, which A does not have", sb.name))
            else:
                pairs.append((by_name[sb.name], sb))
    else:
        pairs = list(zip(a.specs, b.specs))
        if len(b.specs) > len(a.specs):
            out.append(Breakage(f"B expects {len(b.specs)} tensors, A {len(a.specs)}"))
    for sa, sb in pairs:
        label = sb.name if sb.name is not None else f"#{b.specs.index(sb) + 1}"
        if sa.dtype != sb.dtype:
            out.append(Breakage(
                f"tensor {_label(label)}: dtype {sa.dtype} in A, {sb.dtype} in B; tensor dtypes "
                "must match exactly", label))
        if len(sa.shape) != len(sb.shape):
            out.append(Breakage(
                f"tensor {_label(label)}: shape {list(sa.shape)} in A, {list(sb.shape)} in B; "
                "the number of dimensions must match", label))
            continue
        for i, (da, db) in enumerate(zip(sa.shape, sb.shape)):
            if db != -1 and da != db:
                out.append(Breakage(
                    f"tensor {_label(label)}: dimension {i} is {'variable' if da == -1 else da} "
                    f"in A but must be {db} in B", label))
    return out


def _param_breaks(pa: Any, pb: Any) -> list[Breakage]:
    out: list[Breakage] = []
    a_params = {p.name: p for p in (pa.params if pa is not None else ())}
    b_params = {p.name: p for p in (pb.params if pb is not None else ())}
    for name in a_params:
        if name not in b_params:
            out.append(Breakage(f"param {name!r} is not in B's signature: B ignores it (with a "
                                "warning)", name, "params", "warning"))
    for name, q in b_params.items():
        p = a_params.get(name)
        if p is None or (p.type == q.type and p.shape == q.shape):
            continue
        _value, problem = check_param_value(p.default, q.type, q.shape)
        if problem:
            out.append(Breakage(
                f"param {name!r}: {p.describe()} in A, {q.describe()} in B; B rejects A's "
                f"values: {problem}", name, "params"))
    return out
