"""What to load from a model folder, with every path checked to stay inside it. Stdlib + core.

The parent builds a :class:`ModelPlan` from ``MLmodel`` (strict YAML reader of the core) and
sends it to the worker; the worker re-checks the paths and opens files with ``O_NOFOLLOW``,
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
    MLmodelNotFoundError,
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
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skops_trusted_types"] = list(self.skops_trusted_types)
        data["flavors"] = list(self.flavors)
        data["warnings"] = list(self.warnings)
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
        for key in ("skops_trusted_types", "flavors", "warnings"):
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


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def read_plan(model_dir: str | os.PathLike[str], *, max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES) -> ModelPlan:
    """Read ``MLmodel`` (strict YAML) and decide what the worker must load. Parent side."""
    from mlmanager.core.model.yamlio import load_yaml_bytes

    root = Path(model_dir).resolve()
    if not root.is_dir():
        raise ModelReadError("not a folder", root)
    try:
        mlmodel = read_inside(root, "MLmodel", "MLmodel", MAX_MLMODEL_BYTES)
    except ModelReadError as exc:
        if not (root / "MLmodel").exists() and not (root / "MLmodel").is_symlink():
            raise MLmodelNotFoundError("not an MLflow model (MLmodel missing)", root) from None
        raise exc
    doc = load_yaml_bytes(mlmodel, root / "MLmodel")
    if not isinstance(doc, dict):
        raise InvalidError("MLmodel is not a mapping", root / "MLmodel")
    flavors = doc.get("flavors")
    if not isinstance(flavors, dict) or not flavors:
        raise InvalidError("MLmodel has no flavors mapping", root / "MLmodel")
    pyfunc = flavors.get("python_function")
    pyfunc = pyfunc if isinstance(pyfunc, dict) else None
    sk = flavors.get("sklearn")
    sk = sk if isinstance(sk, dict) else None
    names = tuple(str(k) for k in flavors)
    loader = _str_or_none(pyfunc.get("loader_module")) if pyfunc else None
    python_version = _str_or_none(pyfunc.get("python_version")) if pyfunc else None
    warnings: list[str] = []

    def checked_code(conf: dict[str, Any] | None) -> str | None:
        if not conf or conf.get("code") is None:
            return None
        return check_inside(root, conf["code"], "code", kind="dir")

    if sk is not None and (pyfunc is None or loader in (None, "mlflow.sklearn")):
        rel = sk.get("pickled_model") or (pyfunc or {}).get("model_path") or (pyfunc or {}).get("data")
        if rel is None:
            raise InvalidError("the sklearn flavor names no pickled_model", root / "MLmodel")
        fmt = sk.get("serialization_format") or "pickle"
        if fmt not in SERIALIZATION_FORMATS:
            raise InvalidError(f"unknown serialization_format {fmt!r}", root / "MLmodel")
        predict_fn = (pyfunc or {}).get("predict_fn") or "predict"
        if predict_fn not in SKLEARN_PREDICT_FNS:
            raise InvalidError(
                f"predict_fn {predict_fn!r} is not one of {', '.join(SKLEARN_PREDICT_FNS)}",
                root / "MLmodel",
            )
        model_file = check_inside(root, rel, "pickled_model", max_bytes=max_model_bytes)
        for key in ("model_path", "data"):
            other = (pyfunc or {}).get(key)
            if other is not None and other != rel:
                check_inside(root, other, f"python_function.{key}", max_bytes=max_model_bytes)
        listed = sk.get("skops_trusted_types") or []
        if not isinstance(listed, list):
            listed = [listed]
        return ModelPlan(
            root=str(root), kind="sklearn", model_file=model_file, serialization_format=fmt,
            predict_fn=str(predict_fn), loader_module=loader,
            sklearn_version=_str_or_none(sk.get("sklearn_version")),
            python_version=python_version,
            skops_trusted_types=tuple(str(t) for t in listed),
            code=checked_code(sk) or checked_code(pyfunc), flavors=names,
            warnings=tuple(warnings),
        )
    if pyfunc is None:
        raise ModelReadError(
            f"no flavor mlmanager can run (flavors: {', '.join(names)}); it needs sklearn or python_function",
            root,
        )
    if not loader:
        raise InvalidError("python_function has no loader_module", root / "MLmodel")
    primary = None  # only a custom PythonModel pickle is scanned; other loaders read their own files
    for key in ("python_model", "model_path", "data"):
        if pyfunc.get(key) is not None:
            kind = "file"
            target = root / str(pyfunc[key])
            if key != "python_model" and target.is_dir() and not target.is_symlink():
                kind = "dir"
            rel = check_inside(root, pyfunc[key], f"python_function.{key}", kind=kind,
                               max_bytes=max_model_bytes)
            if key == "python_model":
                primary = rel
    compression = pyfunc.get("python_model_compression")
    if compression is not None and compression not in COMPRESSIONS:
        raise InvalidError(f"unknown python_model_compression {compression!r}", root / "MLmodel")
    artifacts = pyfunc.get("artifacts")
    if isinstance(artifacts, dict):
        for name, spec in artifacts.items():
            if isinstance(spec, dict) and spec.get("path") is not None:
                target = root / str(spec["path"])
                kind = "dir" if target.is_dir() and not target.is_symlink() else "file"
                check_inside(root, spec["path"], f"artifacts.{name}", kind=kind, max_bytes=max_model_bytes)
    return ModelPlan(
        root=str(root), kind="pyfunc", model_file=primary,
        serialization_format=None, predict_fn="predict", loader_module=str(loader),
        sklearn_version=_str_or_none(sk.get("sklearn_version")) if sk else None,
        python_version=python_version, code=checked_code(pyfunc), flavors=names,
        compression=compression, warnings=tuple(warnings),
    )


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
