"""Every file of a model folder, classified, and the path checks of MLmodel's path fields.

Nothing is opened here: entries come from ``lstat``/zip headers, symlinks are listed with their
target text and never followed, FIFOs and devices are listed as ``special``.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Iterator, Mapping

from mlmanager.core.model.files import MLMODEL, Entry, ModelFiles
from mlmanager.core.structs import Struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

    from mlmanager.core.model.mlmodel import ModelDocument

KINDS = ("mlmodel", "model", "env", "example", "code", "data", "other", "symlink", "special")
ENV_FILES = frozenset(
    {
        "conda.yaml",
        "python_env.yaml",
        "requirements.txt",
        "constraints.txt",
        "environment_variables.txt",
    }
)
EXAMPLE_FILES = frozenset({"input_example.json", "serving_input_example.json"})
#: flavor-config keys that name the serialized model (a file or a folder)
MODEL_KEYS = ("pickled_model", "model_path", "data", "python_model", "model_data", "saved_model_dir")


class Artifact(Struct, frozen=True):
    path: str  # relative, posix
    size: int
    kind: str  # one of KINDS
    target: str | None = None  # symlink target text
    detail: str | None = None  # fifo / device / ...

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": self.path, "size": self.size, "kind": self.kind}
        if self.target is not None:
            d["target"] = self.target
        if self.detail is not None:
            d["detail"] = self.detail
        return d


class PathField(Struct, frozen=True):
    """A path named by MLmodel. ``role``: model | code | env | example."""

    label: str  # e.g. "flavors.sklearn.pickled_model"
    value: Any
    role: str


def iter_path_fields(data: Mapping[str, Any]) -> Iterator[PathField]:
    """Every path-valued field of an MLmodel mapping (values as found, not validated)."""
    flavors = data.get("flavors")
    if isinstance(flavors, Mapping):
        for fname, cfg in flavors.items():
            if not isinstance(cfg, Mapping):
                continue
            base = f"flavors.{fname}"
            for key in MODEL_KEYS:
                if key in cfg and cfg[key] is not None:
                    yield PathField(f"{base}.{key}", cfg[key], "model")
            if cfg.get("code") is not None:
                yield PathField(f"{base}.code", cfg["code"], "code")
            arts = cfg.get("artifacts")
            if isinstance(arts, Mapping):
                for aname, spec in arts.items():
                    if isinstance(spec, Mapping) and spec.get("path") is not None:
                        yield PathField(f"{base}.artifacts.{aname}.path", spec["path"], "model")
            env = cfg.get("env") if fname == "python_function" else None
            if isinstance(env, str):
                yield PathField(f"{base}.env", env, "env")
            elif isinstance(env, Mapping):
                for ekey, evalue in env.items():
                    if evalue is not None:
                        yield PathField(f"{base}.env.{ekey}", evalue, "env")
    info = data.get("saved_input_example_info")
    if isinstance(info, Mapping):
        for key in ("artifact_path", "serving_input_path"):
            if info.get(key) is not None:
                yield PathField(f"saved_input_example_info.{key}", info[key], "example")


def lexical_escape(value: str) -> bool:
    """True for absolute paths, drive letters, UNC names and ``..`` escapes (either separator)."""
    if not value:
        return False
    if value.startswith(("/", "\\")) or ntpath.splitdrive(value)[0]:
        return True
    norm = posixpath.normpath(value.replace("\\", "/"))
    return norm == ".." or norm.startswith("../")


def _norm(value: str) -> str:
    return posixpath.normpath(value.replace("\\", "/"))


def path_problems(doc: ModelDocument) -> list[str]:
    """Problems with MLmodel's path fields: escapes, missing files, links and special files."""
    return check_path_fields(doc.files, doc.data)


def check_path_fields(files: ModelFiles, data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()

    def add(msg: str) -> None:
        if msg not in seen:
            seen.add(msg)
            problems.append(msg)

    for field in iter_path_fields(data):
        shown = f"{field.label} = {field.value}"
        if not isinstance(field.value, str):
            add(f"path field is not a string: {field.label} = {field.value!r}")
            continue
        if field.value == "":
            add(f"path field is empty: {field.label}")
            continue
        if lexical_escape(field.value):
            add(f"path escapes the model folder: {shown}")
            continue
        rel = _norm(field.value)
        if rel == ".":
            if field.role in ("model", "code"):
                continue  # the model folder itself (some flavors pass it)
            add(f"path names the model folder itself: {shown}")
            continue
        try:
            entry = files.stat(rel)
        except Exception:  # noqa: BLE001 - an unsafe name is reported, never raised
            add(f"path escapes the model folder: {shown}")
            continue
        if not entry.is_symlink and not files.resolves_inside(rel):
            add(f"path escapes the model folder (through a symlink): {shown}")
            continue
        if entry.kind == "missing":
            what = {
                "model": "missing model file",
                "code": "missing code folder",
                "env": "missing environment file",
                "example": "missing input example file",
            }[field.role]
            add(f"{what}: {shown}")
            continue
        if entry.kind == "dir":
            if field.role in ("env", "example"):
                add(f"expected a file, found a folder: {shown}")
            continue
        if field.role == "code":
            add(f"code path is not a folder: {shown}")
            continue
        if not files.is_readable_file(rel):
            if entry.is_symlink:
                why = f"symlink to {entry.target}"
            else:
                why = entry.detail or entry.kind
            add(f"not a regular file inside the model folder: {shown} ({why})")
    return problems


def _named_paths(files: ModelFiles, data: Mapping[str, Any]) -> tuple[set[str], set[str], set[str], set[str], set[str]]:
    model_files: set[str] = set()
    model_dirs: set[str] = set()
    code_dirs: set[str] = set()
    env_files: set[str] = set(ENV_FILES)
    example_files: set[str] = set(EXAMPLE_FILES)
    for field in iter_path_fields(data):
        if not isinstance(field.value, str) or not field.value or lexical_escape(field.value):
            continue
        rel = _norm(field.value)
        if rel == ".":
            continue
        if field.role == "model":
            try:
                is_dir = files.stat(rel).kind == "dir"
            except Exception:  # noqa: BLE001
                continue
            (model_dirs if is_dir else model_files).add(rel)
        elif field.role == "code":
            code_dirs.add(rel)
        elif field.role == "env":
            env_files.add(rel)
        else:
            example_files.add(rel)
    return model_files, model_dirs, code_dirs, env_files, example_files


def _under(rel: str, dirs: set[str]) -> bool:
    return any(rel.startswith(d + "/") for d in dirs)


def classify(entry: Entry, named: tuple[set[str], set[str], set[str], set[str], set[str]]) -> str:
    model_files, model_dirs, code_dirs, env_files, example_files = named
    rel = entry.path
    if entry.kind == "symlink":
        return "symlink"
    if entry.kind not in ("file",):
        return "special"
    if rel == MLMODEL:
        return "mlmodel"
    if rel in model_files:
        return "model"
    if _under(rel, code_dirs):
        return "code"
    if _under(rel, model_dirs):
        return "model"
    if rel in env_files:
        return "env"
    if rel in example_files:
        return "example"
    if rel.startswith(("data/", "artifacts/")):
        return "data"
    return "other"


def list_artifacts(files: ModelFiles, data: Mapping[str, Any] | None = None) -> list[Artifact]:
    """Every file of the model (recursive, sorted by path), with its kind."""
    named = _named_paths(files, data or {})
    out = []
    for entry in files.entries():
        kind = classify(entry, named)
        out.append(Artifact(entry.path, entry.size, kind, entry.target, entry.detail))
    return out


def doc_artifacts(doc: ModelDocument) -> list[Artifact]:
    return list_artifacts(doc.files, doc.data)
