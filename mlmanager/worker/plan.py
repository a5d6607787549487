"""What to load from a model folder, with every path checked to stay inside it. Stdlib only.

The parent builds a :class:`ModelPlan` from ``MLmodel`` (``mlmanager.predict.model_plan``, with
the core's strict YAML reader) and sends it to the worker; the worker re-checks the paths and opens files with ``O_NOFOLLOW``,
refusing symlinks, FIFOs, devices and files over the size cap *before reading a byte*
(security.md T12, T16, T19). Nothing here imports model code.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from mlmanager.core.errors import (
    InvalidError,
    ModelReadError,
    UnsafePathError,
)

SKLEARN_PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")
SERIALIZATION_FORMATS = ("pickle", "cloudpickle", "skops")
DEFAULT_MAX_MODEL_BYTES = 2 << 30
MAX_MLMODEL_BYTES = 1 << 20
MAX_FOLDER_FILES = 10_000
COMPRESSIONS = ("lzma", "bzip2", "gzip")


@dataclass(frozen=True)
class ModelPlan:
    """The facts of a model folder the worker needs. ``model_file`` and ``code`` are relative."""

    root: str
    kind: str  # "sklearn" (loaded by mlmanager) or "pyfunc" (through mlflow.pyfunc)
    model_file: str | None = None
    serialization_format: str | None = None
    predict_fn: str = "predict"
    loader_module: str | None = None
    sklearn_version: str | None = None
    python_version: str | None = None
    skops_trusted_types: tuple[str, ...] = ()
    code: str | None = None
    compression: str | None = None  # pyfunc python_model_compression: lzma, bzip2 or gzip
    flavors: tuple[str, ...] = ()
    saved_versions: tuple[str, ...] = ()  # "package==version" from MLmodel (flavors, mlflow)
    required_versions: tuple[str, ...] = ()  # "package==version" pinned by its requirements
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skops_trusted_types"] = list(self.skops_trusted_types)
        data["flavors"] = list(self.flavors)
        data["warnings"] = list(self.warnings)
        data["saved_versions"] = list(self.saved_versions)
        data["required_versions"] = list(self.required_versions)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> ModelPlan:
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise ValueError("invalid model plan")
        for key in ("root", "kind", "predict_fn"):
            if not isinstance(data.get(key), str):
                raise ValueError(f"model plan field {key} must be a string")
        for key in ("model_file", "serialization_format", "loader_module", "sklearn_version",
                    "python_version", "code", "compression"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ValueError(f"model plan field {key} must be a string")
        values = dict(data)
        for key in ("skops_trusted_types", "flavors", "warnings", "saved_versions", "required_versions"):
            seq = data.get(key, [])
            if not isinstance(seq, list) or not all(isinstance(s, str) for s in seq):
                raise ValueError(f"model plan field {key} must be a list of strings")
            values[key] = tuple(seq)
        plan = cls(**values)
        if plan.kind not in ("sklearn", "pyfunc"):
            raise ValueError("model plan kind must be sklearn or pyfunc")
        if plan.kind == "sklearn" and plan.predict_fn not in SKLEARN_PREDICT_FNS:
            raise ValueError("unsupported predict_fn")
        if plan.serialization_format is not None and plan.serialization_format not in SERIALIZATION_FORMATS:
            raise ValueError("unsupported serialization_format")
        if plan.compression is not None and plan.compression not in COMPRESSIONS:
            raise ValueError("unsupported compression")
        return plan


def _escapes(rel: str) -> bool:
    if "\x00" in rel:
        return True
    posix, win = PurePosixPath(rel), PureWindowsPath(rel)
    if posix.is_absolute() or win.is_absolute() or win.drive or rel.startswith(("/", "\\")):
        return True
    return ".." in posix.parts or ".." in win.parts


def check_inside(root: str | Path, rel: Any, what: str, *, kind: str = "file",
                 max_bytes: int | None = None) -> str:
    """Validate ``rel`` as a path inside ``root`` without following links; returns it (posix).

    Raises UnsafePathError for escapes, links, FIFOs, devices and oversize files.
    """
    if not isinstance(rel, str) or not rel.strip():
        raise InvalidError(f"{what}: expected a relative path, got {rel!r}", Path(root) / "MLmodel")
    if _escapes(rel):
        raise UnsafePathError(f"{what}: path escapes model folder ({rel!r}); nothing was read", root)
    parts = [p for p in PurePosixPath(rel.replace("\\", "/")).parts if p not in ("", ".")]
    if not parts:
        raise UnsafePathError(f"{what}: path points at the model folder itself ({rel!r})", root)
    current = Path(root)
    for i, part in enumerate(parts):
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            raise ModelReadError(f"{what}: {rel!r} does not exist in the model folder", root) from None
        except OSError as exc:
            raise ModelReadError(f"{what}: cannot read {rel!r}: {exc.strerror}", root) from None
        last = i == len(parts) - 1
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError(
                f"{what}: {rel!r} is a symbolic link, not a regular file inside the model folder", root
            )
        if not last and not stat.S_ISDIR(st.st_mode):
            raise ModelReadError(f"{what}: {rel!r} is not a path inside the model folder", root)
    if kind == "dir":
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafePathError(f"{what}: {rel!r} is not a folder inside the model folder", root)
    elif not stat.S_ISREG(st.st_mode):
        raise UnsafePathError(
            f"{what}: {rel!r} is not a regular file inside the model folder (FIFO, device or folder)",
            root,
        )
    elif max_bytes is not None and st.st_size > max_bytes:
        raise ModelReadError(
            f"{what}: {rel!r} is {st.st_size:,} bytes, larger than the {max_bytes:,}-byte limit; not read",
            root,
        )
    return "/".join(parts)


def read_inside(root: str | Path, rel: str, what: str, max_bytes: int) -> bytes:
    """Read a file inside ``root`` once (checked again at open time: O_NOFOLLOW, fstat, size)."""
    rel = check_inside(root, rel, what, max_bytes=max_bytes)
    path = Path(root, *rel.split("/"))
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
        raise UnsafePathError(f"{what}: {rel!r} resolves outside the model folder", root)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafePathError(f"{what}: cannot open {rel!r} safely: {exc.strerror}", root) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError(f"{what}: {rel!r} is not a regular file inside the model folder", root)
        if st.st_size > max_bytes:
            raise ModelReadError(f"{what}: {rel!r} is larger than the {max_bytes:,}-byte limit", root)
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ModelReadError(f"{what}: {rel!r} grew beyond the {max_bytes:,}-byte limit", root)
    return data


def snapshot_folder(root: str | Path, dest: str | Path | None, max_bytes: int) -> tuple[str, list[str]]:
    """Hash every regular file of a folder (and copy it to ``dest``): the pyfunc trust key.

    Links, FIFOs and devices are refused. The digest covers relative paths and contents, so
    any change to any file asks for trust again; the copy is what mlflow then loads (TOCTOU).
    """
    root = Path(root)
    entries: list[str] = []
    total = 0
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(root / rel_dir if rel_dir else root) as it:
            items = sorted(it, key=lambda e: e.name)
        for entry in items:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                if dest is not None:
                    Path(dest, rel).mkdir(parents=True, exist_ok=True)
                stack.append(rel)
                continue
            if not stat.S_ISREG(st.st_mode):
                raise UnsafePathError(f"{rel!r} is a link, FIFO or device; refusing the folder", root)
            if len(entries) >= MAX_FOLDER_FILES:
                raise ModelReadError(f"more than {MAX_FOLDER_FILES} files in the model folder", root)
            total += st.st_size
            if total > max_bytes:
                raise ModelReadError(f"model folder is larger than the {max_bytes:,}-byte limit", root)
            data = read_inside(root, rel, "model folder", max_bytes)
            if dest is not None:
                target = Path(dest, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            entries.append(f"{rel}\0{hashlib.sha256(data).hexdigest()}")
    entries.sort()
    digest = hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest()
    return digest, [e.split("\0")[0] for e in entries]


def decompress(data: bytes, method: str, max_bytes: int) -> bytes:
    """Decompress a pyfunc python_model with a hard cap on the output size (zip-bomb safe)."""
    import bz2
    import lzma
    import zlib

    if method == "gzip":
        engine: Any = zlib.decompressobj(wbits=31)
    elif method == "bzip2":
        engine = bz2.BZ2Decompressor()
    elif method == "lzma":
        engine = lzma.LZMADecompressor()
    else:
        raise InvalidError(f"unknown compression {method!r}")
    try:
        out = engine.decompress(data, max_bytes + 1)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise ModelReadError(f"cannot decompress the {method} model file: {exc}") from None
    if len(out) > max_bytes:
        raise ModelReadError(f"the decompressed model is larger than the {max_bytes:,}-byte limit")
    return out
