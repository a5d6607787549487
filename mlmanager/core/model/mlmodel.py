"""The ``MLmodel`` document: load (folder, MLmodel file or zip), inspect, edit the signature, save.

Reading keeps the original bytes and text next to the parsed mapping (types exactly as
``yaml.safe_load`` gives them, like MLflow). Editing changes only what was edited: the
top-level ``signature`` block (and the two type-hint flags) is spliced into the original text,
every other byte is kept; the result is re-parsed and checked, and only when splicing is not
safe (flow style, JSON, odd layout) is the whole file re-emitted the way MLflow does.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

from mlmanager.core.atomic import atomic_write
from mlmanager.core.environments.requirements import installed_version
from mlmanager.core.errors import (
    InvalidError,
    MlmanagerError,
    MLmodelNotFoundError,
    ModelReadError,
    SchemaError,
    UnreadableSignatureError,
    WriteError,
    YamlError,
)
from mlmanager.core.model.artifacts import path_problems
from mlmanager.core.model.files import (
    MLMODEL,
    FolderFiles,
    ModelFiles,
    iter_chunks,
    open_model_files,
)
from mlmanager.core.model.yamlio import (
    MAX_YAML_BYTES,
    decode_utf8,
    dump_mlflow_yaml,
    load_yaml_text,
)
from mlmanager.core.signature.schema import Signature, detect_dialect

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

    from mlmanager.core.signature.schema import Signature

FLAG_KEYS = ("is_signature_from_type_hint", "type_hint_from_example")
SIGNATURE_KEYS = ("signature", *FLAG_KEYS)
SERIALIZATION_FORMATS = ("pickle", "cloudpickle", "skops")
WRITE_DIALECTS = ("keep", "current", "legacy", "optional")
MAX_COPY_BYTES = 16 << 30
_BOM = b"\xef\xbb\xbf"
_UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")


class ModelDocument:
    """One model's ``MLmodel``: its files, original bytes/text, parsed data, typed accessors."""

    def __init__(self, files: ModelFiles, raw_bytes: bytes, text: str, data: dict) -> None:
        self.files = files
        self.raw_bytes = raw_bytes
        self.text = text
        self.data = data
        self.bom = raw_bytes.startswith(_BOM)
        self.problems: list[str] = []
        self.signature_error: str | None = None
        self._signature: Signature | None = None
        self._signature_parsed = False

    # -- identity ------------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return self.files.location

    @property
    def root(self) -> Path | None:
        """The model folder (None for a model read from a zip)."""
        return self.files.root if isinstance(self.files, FolderFiles) else None

    @property
    def mlmodel_location(self) -> str:
        return f"{self.location.rstrip('/')}/{MLMODEL}"

    def close(self) -> None:
        self.files.close()

    def __enter__(self) -> ModelDocument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ModelDocument({self.location!r}, flavors={self.flavor_names})"

    # -- plain attributes (as YAML typed them) -------------------------------------------------

    def _get(self, key: str) -> Any:
        return self.data.get(key)

    @property
    def flavors(self) -> dict[str, Any]:
        value = self.data.get("flavors")
        return value if isinstance(value, dict) else {}

    @property
    def flavor_names(self) -> list[str]:
        return [str(k) for k in self.flavors]

    run_id = property(lambda self: self._get("run_id"))
    model_uuid = property(lambda self: self._get("model_uuid"))
    model_id = property(lambda self: self._get("model_id"))
    utc_time_created = property(lambda self: self._get("utc_time_created"))
    mlflow_version = property(lambda self: self._get("mlflow_version"))
    artifact_path = property(lambda self: self._get("artifact_path"))
    metadata = property(lambda self: self._get("metadata"))
    model_size_bytes = property(lambda self: self._get("model_size_bytes"))
    databricks_runtime = property(lambda self: self._get("databricks_runtime"))
    is_signature_from_type_hint = property(lambda self: self._get("is_signature_from_type_hint"))
    type_hint_from_example = property(lambda self: self._get("type_hint_from_example"))

    @property
    def saved_input_example_info(self) -> dict[str, Any] | None:
        value = self.data.get("saved_input_example_info")
        return value if isinstance(value, dict) else None

    @property
    def signature_raw(self) -> Any:
        return self.data.get("signature")

    # -- flavor helpers -------------------------------------------------------------------------

    def flavor(self, name: str) -> dict[str, Any] | None:
        cfg = self.flavors.get(name)
        return cfg if isinstance(cfg, dict) else None

    @property
    def pyfunc(self) -> dict[str, Any] | None:
        return self.flavor("python_function")

    @property
    def python_version(self) -> str | None:
        value = (self.pyfunc or {}).get("python_version")
        return None if value is None else str(value)

    @property
    def loader_module(self) -> str | None:
        value = (self.pyfunc or {}).get("loader_module")
        return None if value is None else str(value)

    @property
    def pyfunc_env(self) -> str | dict[str, Any] | None:
        """``conda.yaml`` (1.x string) or ``{conda: ..., virtualenv: ...}`` (2.x+)."""
        value = (self.pyfunc or {}).get("env")
        return value if isinstance(value, (str, dict)) else None

    @property
    def sklearn_serialization_format(self) -> str | None:
        """The sklearn flavor's format; a missing key means ``pickle`` (MLflow's reader does so)."""
        cfg = self.flavor("sklearn")
        if cfg is None:
            return None
        value = cfg.get("serialization_format")
        return "pickle" if value is None else str(value)

    @property
    def model_file(self) -> str | None:
        """The serialized model's relative path, as the flavors name it."""
        candidates = [
            (self.flavor("sklearn") or {}).get("pickled_model"),
            (self.pyfunc or {}).get("model_path"),
            (self.pyfunc or {}).get("data"),
            (self.pyfunc or {}).get("python_model"),
        ]
        for value in candidates:
            if isinstance(value, str) and value:
                return value
        return None

    # -- signature ------------------------------------------------------------------------------

    @property
    def signature(self) -> Signature | None:
        """The parsed signature, or None (absent, or unreadable: see ``signature_error``)."""
        if not self._signature_parsed:
            self._parse_signature()
        return self._signature

    def readable_signature(self, where: str | Path | None = None) -> Signature | None:
        """The signature (None when there is none); raises :class:`UnreadableSignatureError`
        (named after ``where``, default the model's location) when one is written but cannot
        be read: MLflow cannot load such an MLmodel at all, so neither validate nor predict
        pretend the model has no schema."""
        sig = self.signature
        if sig is None and self.signature_error:
            raise UnreadableSignatureError(
                f"the signature cannot be read: {self.signature_error}",
                self.location if where is None else where,
            )
        return sig

    def _parse_signature(self) -> None:
        self._signature_parsed = True
        raw = self.data.get("signature")
        if raw is None:
            return

        try:
            self._signature = Signature.from_mlmodel(raw, self.mlmodel_location)
        except SchemaError as exc:
            self.signature_error = exc.message
            col = f" (column {exc.column})" if getattr(exc, "column", None) else ""
            self.problems.append(f"signature cannot be read: {exc.message}{col}")

    @property
    def signature_dialect(self) -> str | None:
        """``none`` | ``optional`` | ``required`` as written, or None without a signature."""
        raw = self.data.get("signature")
        if raw is None:
            return None

        return detect_dialect(raw)

    # -- editing --------------------------------------------------------------------------------

    def resolve_dialect(self, sig: Signature, dialect: str = "keep") -> str:
        """The schema dialect to write: ``current`` | ``legacy`` | ``optional``."""
        if dialect not in WRITE_DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; choose one of {WRITE_DIALECTS}")
        if dialect != "keep":
            if dialect == "legacy":
                why = sig.needs_current_dialect()
                if why:
                    raise SchemaError(
                        f"the legacy dialect (mlflow < 2.10) cannot express this signature: {why}; "
                        "save in the 'current' dialect instead",
                        self.mlmodel_location,
                    )
            return dialect
        found = self.signature_dialect
        if found == "required":
            return "current"
        if found == "optional":
            return "optional"
        if found is None and _version_at_least(self.mlflow_version, (2, 10)):
            return "current"  # no signature yet, written by an mlflow that reads "required"
        why = sig.needs_current_dialect()
        if why:
            raise SchemaError(
                f"this MLmodel uses the legacy signature format that mlflow < 2.10 reads, and {why}. "
                "Keeping the format is impossible: choose the 'current' dialect (the model will "
                "then no longer load in mlflow < 2.10)",
                self.mlmodel_location,
            )
        return "legacy"

    def _signature_mapping(self, sig: Signature, dialect: str) -> dict | None:
        """The ``signature`` mapping to write; unchanged sections keep their original text."""
        old_raw = self.data.get("signature")
        old_sig = self.signature
        if (
            dialect == "keep"
            and old_sig is not None
            and isinstance(old_raw, Mapping)
            and old_sig.to_canonical() == sig.to_canonical()
        ):
            return dict(old_raw)  # nothing edited: keep it byte for byte
        target = self.resolve_dialect(sig, dialect)
        new = dict(sig.to_mlmodel(target))
        for section, value in new.items():
            if isinstance(value, str) and value.strip() in ("[]", "null", ""):
                raise SchemaError(
                    f"refusing to write signature.{section} = {value!r}: MLflow cannot load it",
                    self.mlmodel_location,
                )
        if all(v is None for v in new.values()):
            return None
        if isinstance(old_raw, Mapping):
            for section in ("inputs", "outputs", "params"):
                if new.get(section) is None:
                    if section in old_raw and old_raw[section] is None:
                        new[section] = None
                    elif section not in old_raw:
                        new.pop(section, None)
            if dialect == "keep" and old_sig is not None:
                old_canon, new_canon = old_sig.to_canonical(), sig.to_canonical()
                for section in ("inputs", "outputs", "params"):
                    if section in old_raw and old_canon.get(section) == new_canon.get(section):
                        new[section] = old_raw[section]
        return new

    def with_signature(
        self,
        sig: Signature | None,
        dialect: str = "keep",
        type_hint_flags: Mapping[str, bool] | None = None,
    ) -> str:
        """The new MLmodel text with ``sig`` (None removes the signature and both flags).

        ``dialect``: ``keep`` (the file's own: required -> current, optional -> optional, none ->
        legacy, or SchemaError when legacy cannot express ``sig``), ``current``, ``legacy`` or
        ``optional``. ``type_hint_flags``: ``{"is_signature_from_type_hint": bool,
        "type_hint_from_example": bool}`` (either key) to set them; None keeps them as they are.
        """
        new_data = dict(self.data)
        mapping = None if sig is None else self._signature_mapping(sig, dialect)
        if mapping is None:
            for key in SIGNATURE_KEYS:
                new_data.pop(key, None)
        else:
            new_data["signature"] = mapping
            for key, value in (type_hint_flags or {}).items():
                if key not in FLAG_KEYS:
                    raise ValueError(f"unknown type-hint flag {key!r}")
                new_data[key] = bool(value)
        return self.render(new_data)

    def render(self, new_data: dict) -> str:
        """Text for ``new_data``: the original text with changed top-level keys spliced in."""
        if same_data(new_data, self.data):
            return self.text
        changed = [
            k
            for k in sorted(set(new_data) | set(self.data), key=str)
            if k not in new_data or k not in self.data or not same_data(new_data[k], self.data[k])
        ]
        try:
            text = splice_top_level(self.text, new_data, changed)
        except _CannotSplice:
            text = None
        if text is not None:
            try:
                if same_data(load_yaml_text(text), new_data):
                    return text
            except MlmanagerError:
                pass
        return full_dump(new_data, crlf=_uses_crlf(self.text))


# ---------------------------------------------------------------------------------------------
# Loading


def load_model(path: str | os.PathLike[str]) -> ModelDocument:
    """Read a model folder, an ``MLmodel`` file or a ``.zip``.

    Raises MLmodelNotFoundError, YamlError, UnsafePathError or ModelReadError; non-fatal
    findings go to ``doc.problems``.
    """
    files = open_model_files(path)
    try:
        where = f"{files.location.rstrip('/')}/{MLMODEL}"
        entry = files.stat(MLMODEL)
        if entry.kind == "missing":
            raise MLmodelNotFoundError("not an MLflow model (MLmodel missing)", files.location)
        if entry.kind == "file" and entry.size > MAX_YAML_BYTES:
            raise YamlError(
                f"file is {entry.size:,} bytes, larger than the {MAX_YAML_BYTES:,}-byte limit for YAML",
                where,
            )
        raw = files.read_bytes(MLMODEL, max_bytes=MAX_YAML_BYTES)
        text = decode_utf8(raw, where)
        data = load_yaml_text(text, where)
        if not isinstance(data, dict):
            kind = "empty" if data is None else f"a YAML {type(data).__name__}"
            raise YamlError(f"MLmodel must be a mapping of keys, but the document is {kind}", where)
        doc = ModelDocument(files, raw, text, data)
        doc.problems.extend(document_problems(doc))
    except BaseException:
        files.close()
        raise
    return doc


def _version_tuple(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", value)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def _version_at_least(value: Any, minimum: tuple[int, ...]) -> bool:
    v = _version_tuple(value)
    return v is not None and v >= minimum


def _raw_scalar(text: str, key: str) -> str | None:
    m = re.search(rf"^{re.escape(key)}:[ \t]*(.*?)[ \t]*\r?$", text, re.MULTILINE)
    return m.group(1) if m else None


def _installed_version(dist: str) -> str | None:
    return installed_version(dist)


def document_problems(doc: ModelDocument) -> list[str]:
    """Non-fatal findings about the document (schema of the keys, paths, version skew)."""
    data = doc.data
    problems: list[str] = []
    flavors = data.get("flavors")
    if "flavors" not in data:
        problems.append("MLmodel has no 'flavors' key: no flavor can load this model")
    elif not isinstance(flavors, dict):
        problems.append(
            f"flavors must be a mapping of flavor name to settings, found a {type(flavors).__name__}"
        )
    elif not flavors:
        problems.append("flavors is empty: no flavor can load this model")
    else:
        for name, cfg in flavors.items():
            if not isinstance(cfg, dict):
                problems.append(f"flavors.{name} must be a mapping, found a {type(cfg).__name__}")
        if "python_function" not in flavors:
            problems.append(
                "no python_function flavor: the model cannot be loaded with mlflow.pyfunc or "
                "test-predicted through pyfunc"
            )
    pyfunc = doc.pyfunc
    if pyfunc is not None:
        if not pyfunc.get("loader_module"):
            problems.append("flavors.python_function.loader_module is missing")
        pv = pyfunc.get("python_version")
        if pv is None:
            problems.append(
                "flavors.python_function.python_version is missing (MLflow warns the model may be "
                "incompatible)"
            )
        elif not isinstance(pv, str):
            problems.append(
                f"flavors.python_function.python_version is a {type(pv).__name__} ({pv!r}), not a "
                "string: YAML changed it (quote it)"
            )
    for key in ("mlflow_version", "run_id", "model_uuid", "model_id", "artifact_path",
                "databricks_runtime"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raw = _raw_scalar(doc.text, key)
            shown = f" (written {raw})" if raw is not None and raw != repr(value) else ""
            problems.append(
                f"{key} is a {type(value).__name__} ({value!r}), not a string{shown}: YAML "
                f"read it as a number; quote it in the file"
            )
    utc = data.get("utc_time_created")
    if utc is not None and not (isinstance(utc, str) and _UTC_RE.match(utc)):
        problems.append(
            f"utc_time_created {utc!r} is not the 'YYYY-MM-DD HH:MM:SS.ffffff' string MLflow writes"
        )
    for key in FLAG_KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            problems.append(f"{key} must be true or false, found {value!r}")
    size = data.get("model_size_bytes")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        problems.append(f"model_size_bytes must be an integer, found {size!r}")
    if data.get("metadata") is not None and not isinstance(data.get("metadata"), dict):
        problems.append("metadata must be a mapping")
    meta = data.get("metadata")
    if isinstance(meta, dict) and meta.get("mlflow.model.isExternal") is True:
        problems.append("metadata marks the model as external: mlflow.pyfunc refuses to load it")

    sk = doc.flavor("sklearn")
    if sk is not None:
        fmt = sk.get("serialization_format")
        if fmt is not None and fmt not in SERIALIZATION_FORMATS:
            problems.append(
                f"flavors.sklearn.serialization_format {fmt!r} is unknown (expected one of "
                f"{', '.join(SERIALIZATION_FORMATS)})"
            )
        if not sk.get("pickled_model"):
            problems.append("flavors.sklearn.pickled_model is missing")
        trusted = sk.get("skops_trusted_types")
        if trusted:
            problems.append(
                "flavors.sklearn.skops_trusted_types lists types to trust when loading "
                f"({trusted!r}); mlmanager shows this list but never applies it"
            )
        saved = sk.get("sklearn_version")
        installed = _installed_version("scikit-learn")
        if isinstance(saved, str) and installed and saved != installed:
            problems.append(
                f"saved with scikit-learn {saved}, this environment has {installed}: "
                "predictions may differ or fail"
            )

    info = data.get("saved_input_example_info")
    if info is not None:
        if not isinstance(info, dict):
            problems.append("saved_input_example_info must be a mapping")
        else:
            etype = info.get("type")
            known = ("dataframe", "ndarray", "json_object", "sparse_matrix_csr", "sparse_matrix_csc")
            if etype not in known:
                problems.append(f"saved_input_example_info.type {etype!r} is unknown")

    sig_raw = data.get("signature")
    if sig_raw is not None:
        doc._parse_signature()  # records a problem when unreadable
        sig = doc._signature
        if sig is not None:
            problems.extend(sig.compat_problems())
            for issue in sig.validate():
                col = f" (column {issue.column_label})" if issue.column_label else ""
                problems.append(f"signature.{issue.section}: {issue.message}{col}")
    problems.extend(path_problems(doc))
    return problems


# ---------------------------------------------------------------------------------------------
# Text splicing


class _CannotSplice(Exception):
    pass


_KEY_LINE = r"([A-Za-z_][A-Za-z0-9_.\-]*):(?:[ \t]|$)"  # compiled (and cached by re) when splicing


def _uses_crlf(text: str) -> bool:
    crlf = text.count("\r\n")
    return crlf > 0 and crlf >= text.count("\n") - crlf


def _top_level_blocks(lines: list[str]) -> list[tuple[str, int, int]]:
    """``(key, first_line, end_line)`` for each top-level key of a block-style YAML mapping."""
    blocks: list[list[Any]] = []
    for i, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if not body.strip():
            continue
        c = body[0]
        if c in " \t":
            if not blocks:
                raise _CannotSplice("indented first line")
            blocks[-1][2] = i + 1
            continue
        if c == "-" and (len(body) == 1 or body[1] in " \t"):
            if not blocks:
                raise _CannotSplice("top-level sequence")
            blocks[-1][2] = i + 1
            continue
        if c == "#":
            blocks.append([None, i, i + 1])  # a comment line belongs to no key
            continue
        m = re.match(_KEY_LINE, body)
        if not m:
            raise _CannotSplice(f"line {i + 1} is not a plain top-level key")
        blocks.append([m.group(1), i, i + 1])
    return [(k, s, e) for k, s, e in blocks if k is not None]


def splice_top_level(text: str, new_data: Mapping[str, Any], changed: list[Any]) -> str:
    """Replace/insert/delete the top-level blocks of ``changed`` keys; keep every other byte."""
    if text.startswith("\ufeff"):
        raise _CannotSplice("BOM")
    lines = text.splitlines(keepends=True)
    blocks = _top_level_blocks(lines)
    if not blocks:
        raise _CannotSplice("no top-level keys")
    newline = "\r\n" if _uses_crlf(text) else "\n"
    where = {k: (s, e) for k, s, e in blocks}
    edits: list[tuple[int, int, str, str]] = []  # (start, end, sort key, replacement)
    for key in changed:
        if not isinstance(key, str) or not re.match(_KEY_LINE, key + ": "):
            raise _CannotSplice(f"key {key!r}")
        block = ""
        if key in new_data:
            block = dump_mlflow_yaml({key: new_data[key]})
            if newline != "\n":
                block = block.replace("\n", newline)
        if key in where:
            start, end = where[key]
            edits.append((start, end, key, block))
        elif block:
            pos = next((s for k, s, _ in blocks if k > key), len(lines))
            edits.append((pos, pos, key, block))
    # apply bottom-up; inserts at the same position in key order
    edits.sort(key=lambda e: (e[0], e[2]), reverse=True)
    for start, end, _key, block in edits:
        if start == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] = lines[-1] + newline
        if end == len(lines) and end > start and not lines[end - 1].endswith(("\n", "\r")) and block:
            block = block.rstrip("\r\n")
        lines[start:end] = [block] if block else []
    return "".join(lines)


def full_dump(data: Mapping[str, Any], crlf: bool = False) -> str:
    """The whole file as MLflow writes it (sorted keys, block style)."""
    try:
        text = dump_mlflow_yaml(dict(data))
    except Exception as exc:  # noqa: BLE001 - unsortable keys and the like
        raise WriteError(f"cannot write this MLmodel as YAML: {exc}") from None
    return text.replace("\n", "\r\n") if crlf else text


def same_data(a: Any, b: Any) -> bool:
    """Strict structural equality: types must match (1 != 1.0 != True), NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# ---------------------------------------------------------------------------------------------
# Saving


def _parse_for_save(text: str, where: str) -> dict:
    data = load_yaml_text(text, where)
    if not isinstance(data, dict):
        raise InvalidError("refusing to save: the new MLmodel text is not a YAML mapping", where)
    return data


def save_text(doc: ModelDocument, text: str, *, force: bool = False) -> ModelDocument:
    """Write ``text`` as the model's MLmodel (atomic, with ``MLmodel.bak``); returns the reloaded doc.

    Refuses zips (use ``save_as_copy``), symlinked MLmodel files, and (unless ``force``) a file
    that changed on disk since ``doc`` was loaded.
    """
    if not isinstance(doc.files, FolderFiles):
        raise WriteError("a zip archive is read-only: save a copy instead", doc.location)
    where = doc.mlmodel_location
    _parse_for_save(text, where)
    root = doc.files.root
    target = root / MLMODEL
    if not force:
        try:
            current = doc.files.read_bytes(MLMODEL, max_bytes=MAX_YAML_BYTES)
        except ModelReadError:
            current = None
        if current is not None and current != doc.raw_bytes:
            raise WriteError(
                "MLmodel changed on disk since it was opened; reload it before saving", where
            )
    data = text.encode("utf-8")
    if doc.bom and not data.startswith(_BOM):
        data = _BOM + data
    atomic_write(target, data, root=root, backup=True)
    return load_model(root)


def save_as_copy(
    doc: ModelDocument, new_text: str, dest_dir: str | os.PathLike[str]
) -> ModelDocument:
    """Copy the model to ``dest_dir`` (new or empty) with ``new_text`` as its MLmodel.

    Regular files are copied (from a folder or a zip); symlinks and special files are not
    followed or copied, and are reported in the new document's ``problems``.
    """
    dest = Path(dest_dir)
    where = str(dest)
    _parse_for_save(new_text, where)
    if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise WriteError("destination exists and is not an empty folder", dest)
    import shutil  # lazily (with tempfile): reading a model needs neither
    import tempfile

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    skipped: list[str] = []
    total = 0
    try:
        for entry in doc.files.entries():
            if entry.path in (MLMODEL, MLMODEL + ".bak"):
                continue
            if entry.kind != "file":
                skipped.append(f"not copied ({entry.kind}{', ' + entry.detail if entry.detail else ''}): {entry.path}")
                continue
            out = staging / entry.path
            if not os.path.realpath(out).startswith(os.path.realpath(staging) + os.sep):
                skipped.append(f"not copied (unsafe name): {entry.path}")
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                with doc.files.open_stream(entry.path) as src, open(out, "xb") as dst:
                    for chunk in iter_chunks(src, MAX_COPY_BYTES - total):
                        dst.write(chunk)
                        total += len(chunk)
            except (ModelReadError, FileExistsError) as exc:
                skipped.append(f"not copied ({exc}): {entry.path}")
                with contextlib.suppress(OSError):
                    out.unlink()
        mlmodel = staging / MLMODEL
        data = new_text.encode("utf-8")
        with open(mlmodel, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if dest.is_dir():
            dest.rmdir()
        os.rename(staging, dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(f"could not copy the model: {exc.strerror or exc}", dest) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    new_doc = load_model(dest)
    new_doc.problems.extend(skipped)
    return new_doc
