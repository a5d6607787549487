"""The ``package`` request: load a *bare* estimator file in the worker, predict, re-serialize.

The prediction worker loads model *folders* (``read_plan`` needs an ``MLmodel``). Packaging a
new model starts from a bare ``.pkl``/``.joblib``/``.skops`` file, so this module adds one
request, run in the same limited worker under the same safety rules as predictions:

1. read the file once (regular file, no symlink, size cap) and hash it (SHA-256, the trust key);
2. classify it: pickle -> the opcode scan + allowlist (``scanner.scan_pickle``); skops ->
   ``scanner.scan_skops`` with the app's trusted types; joblib -> the restricted load itself
   (joblib interleaves raw array bytes with the pickle opcodes, so no static scan can walk it):
   a ``joblib.numpy_pickle.NumpyUnpickler`` whose ``find_class`` enforces the allowlist, also
   for the nested pickles of object arrays;
3. refuse unless ``core.safety.may_load`` allows it (SAFE-LISTED, or CONTAINS-CODE /
   UNTRUSTED-IMPORTS whose SHA-256 the user trusted; never KNOWN-DANGEROUS or UNPARSEABLE);
4. predict on the sample (given as the estimator expects it: a DataFrame when it was fitted
   with column names, else a numpy array) and write the predictions as frames;
5. re-serialize into the requested format (pickle / cloudpickle with ``pickle.DEFAULT_PROTOCOL``
   as MLflow does; skops with ``skops.io.dumps``, refusing types outside the app's trusted
   list), load the result back and check it predicts the same, then create ``model_out``.

The parent side is :class:`mlmanager.predict.estimator_runner.WorkerEstimatorRunner` (the
runner of ``core.transfer.package_estimator``).
"""

from __future__ import annotations

import _compat_pickle
import hashlib
import importlib
import io
import os
import pickle
import traceback
import warnings
from collections.abc import Container
from pathlib import Path
from typing import Any

from mlmanager.core.transfer.estimator_input import FORMATS, input_kind_for, model_input
from mlmanager.core.verdict import (
    SAFE_LISTED,
    SafetyReport,
    classify_globals,
    is_dangerous_global,
    may_load,
)
from mlmanager.worker import loaders, protocol
from mlmanager.worker.frames import read_frames, write_frames
from mlmanager.worker.loaders import APP_SKOPS_TRUSTED, LoadFailure
from mlmanager.worker.plan import DEFAULT_MAX_MODEL_BYTES, read_inside
from mlmanager.worker.scanner import list_pickle_globals, scan_pickle, scan_skops
from mlmanager.worker.unpickler import BlockedGlobalError, restricted_loads
from mlmanager.worker.versions import environment_versions, package_version

OP = "package"
JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
BUILD_TOOLS = ("pip", "setuptools", "wheel")
_QUIET = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def _fail(kind: str, message: str, details: str = "", report: SafetyReport | None = None) -> Exception:
    failure = LoadFailure(kind, message, details)
    if report is not None:
        failure.report = report  # type: ignore[attr-defined] # the server sends it with the error
    return failure


def sniff_format(data: bytes) -> str:
    """``skops`` (a zip), ``joblib`` (compressed, or a pickle holding NumpyArrayWrapper
    placeholders) or ``pickle``."""
    if data[:4] == b"PK\x03\x04":
        return "skops"
    if _compression(data) is not None:
        return "joblib"
    head = list_pickle_globals(data[: 1 << 20])
    return "joblib" if JOBLIB_WRAPPER in head.globals else "pickle"


def _compression(data: bytes) -> str | None:
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh":
        return "bz2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[:3] == b"\x5d\x00\x00":
        return "lzma"
    if data[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    if data[:2] == b"ZF":
        return "joblib-zfile"
    if len(data) > 2 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0:
        return "zlib"
    return None


def _decompress(data: bytes, max_bytes: int) -> bytes:
    """Undo joblib's compression with a size cap (a bomb stops at ``max_bytes``)."""
    import bz2
    import lzma
    import zlib

    kind = _compression(data)
    if kind is None:
        return data
    if kind == "joblib-zfile":
        raise _fail("load_failed", "this joblib file uses the format of joblib < 0.10 "
                                   "(companion files); re-save it with a recent joblib")
    try:
        if kind in ("zlib", "gzip"):
            dec: Any = zlib.decompressobj(zlib.MAX_WBITS | (16 if kind == "gzip" else 0))
            out = dec.decompress(data, max_bytes + 1)
        elif kind == "bz2":
            out = bz2.BZ2Decompressor().decompress(data, max_length=max_bytes + 1)
        elif kind == "lz4":
            try:
                import lz4.frame  # type: ignore[import-not-found]
            except ImportError:
                raise _fail("missing_dependency", "this joblib file is lz4-compressed; install lz4 "
                                                  "in the worker's Python") from None
            out = lz4.frame.LZ4FrameDecompressor().decompress(data, max_length=max_bytes + 1)
        else:
            fmt = lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE
            out = lzma.LZMADecompressor(format=fmt).decompress(data, max_length=max_bytes + 1)
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        raise _fail("refused", f"Refused: not a valid model file (corrupt {kind} data: {exc})") from None
    if len(out) > max_bytes:
        raise _fail("refused", f"Refused: the {kind}-compressed estimator inflates past the "
                               f"{max_bytes:,}-byte limit")
    return out


class _PlusWrapper:
    """The allowlist plus joblib's array placeholder (for classifying what a joblib file imports)."""
    def __init__(self, allowlist: Container[tuple[str, str]]) -> None:
        self.allowlist = allowlist

    def __contains__(self, item: object) -> bool:
        return item == JOBLIB_WRAPPER or item in self.allowlist


def load_joblib(data: bytes, allowlist: Container[tuple[str, str]], trusted_shas: set[str], *,
                file: str, max_bytes: int) -> tuple[Any, SafetyReport]:
    """Load a joblib file through a restricted ``NumpyUnpickler``; returns (object, report).

    Untrusted: only allowlisted globals (plus NumpyArrayWrapper) resolve; the first other one
    stops the load and the report lists what was seen. Trusted (its SHA-256): anything but the
    known-dangerous names resolves. Object arrays' nested pickles use the same ``find_class``.
    """
    sha = hashlib.sha256(data).hexdigest()
    raw = _decompress(data, max_bytes)
    try:
        from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
    except ImportError:
        raise _fail("missing_dependency", "joblib is not installed in the worker's Python; it is "
                                          "needed to read .joblib files") from None

    trusted = sha in trusted_shas
    seen: set[tuple[str, str]] = set()
    allow = _PlusWrapper(allowlist)

    def find_class(module: str, name: str) -> Any:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        seen.add((module, name))
        if (module, name) == JOBLIB_WRAPPER:
            return NumpyArrayWrapper
        if is_dangerous_global(module, name) or ((module, name) not in allow and not trusted):
            raise BlockedGlobalError(module, name)
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    class _Restricted(NumpyUnpickler):  # type: ignore[misc, valid-type]
        dispatch = NumpyUnpickler.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            return find_class(module, name)

        def persistent_load(self, pid: Any) -> Any:
            raise pickle.UnpicklingError("persistent IDs are not allowed in model files")

        def load_build(self) -> None:
            pickle._Unpickler.load_build(self)  # type: ignore[attr-defined]
            top = self.stack[-1]
            if isinstance(top, NumpyArrayWrapper):
                self.stack.pop()
                if top.dtype.hasobject:  # a nested pickle: same restrictions, whatever joblib does
                    inner = pickle._Unpickler(self.file_handle)  # type: ignore[attr-defined]
                    inner.find_class = find_class  # type: ignore[method-assign]
                    array = inner.load()
                else:
                    array = top.read(self, True)
                self.stack.append(array)

        dispatch[pickle.BUILD[0]] = load_build

    def report(error: str | bool = False) -> SafetyReport:
        return classify_globals(seen, error, allow, file=file, sha256=sha, size=len(data),
                                scanner="mlmanager joblib restricted load")

    try:
        obj = _Restricted("", io.BytesIO(raw), True).load()
    except BlockedGlobalError:
        rep = report()
        allowed, reason = may_load(rep, trusted)
        raise _fail("refused", reason if not allowed else f"Blocked while loading: {rep.summary}",
                    report=rep) from None
    except MemoryError:
        raise
    except Exception as exc:  # a truncated or corrupt stream
        rep = report(f"{type(exc).__name__}: {str(exc)[:300]}")
        raise _fail("refused", may_load(rep, trusted)[1], report=rep) from None
    return obj, report()


def _versions() -> dict[str, str | None]:
    versions = environment_versions()
    for dist in BUILD_TOOLS:
        versions[dist] = package_version(dist)
    return versions


def serialize(model: Any, fmt: str) -> tuple[bytes, list[str] | None]:
    """The model in ``fmt`` (as MLflow writes it) and, for skops, the types to trust."""
    if fmt == "pickle":
        return pickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL), None
    if fmt == "cloudpickle":
        try:
            import cloudpickle
        except ImportError:
            raise _fail("missing_dependency", "cloudpickle is not installed in the worker's Python") from None
        return cloudpickle.dumps(model, protocol=pickle.DEFAULT_PROTOCOL), None
    try:
        import skops.io as sio
    except ImportError:
        raise _fail("missing_dependency", "skops is not installed in the worker's Python") from None

    try:
        blob = sio.dumps(model)
        untrusted = sorted(sio.get_untrusted_types(data=blob))
    except Exception as exc:
        raise _fail("load_failed", "the estimator cannot be saved as skops (it supports no custom "
                                   f"functions or classes): {type(exc).__name__}: {exc}; choose "
                                   "the cloudpickle format") from None
    outside = [t for t in untrusted if t not in APP_SKOPS_TRUSTED]
    if outside:
        raise _fail("load_failed", "the estimator cannot be saved as skops: it holds types skops "
                                   f"does not trust ({', '.join(outside)}), i.e. custom code; "
                                   "choose the cloudpickle format")
    return blob, (untrusted or None)


def _reload(blob: bytes, fmt: str, report: SafetyReport, trusted: bool, allowlist: Any) -> Any:
    if fmt == "skops":
        import skops.io as sio

        return sio.loads(blob, trusted=list(APP_SKOPS_TRUSTED))
    if trusted or report.classification != SAFE_LISTED:
        return pickle.loads(blob)  # noqa: S301 - the same object the user trusted, just re-dumped

    return restricted_loads(blob, allowlist)


def _same(a: Any, b: Any) -> bool:
    import numpy as np

    try:
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "fc":
            return bool(np.array_equal(x, y, equal_nan=True))
        return bool(np.array_equal(x, y))
    except Exception:  # noqa: BLE001 - exotic outputs: compare as text
        return repr(a) == repr(b)


def _write_new(path: str, blob: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    try:
        view = memoryview(blob)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def op_package(server: Any, rid: int, args: dict[str, Any]) -> dict[str, Any]:
    """The worker's ``package`` request (see the module docstring)."""
    protocol.check_fields(args, {
        "estimator": (str, True), "format": (str, True), "input": (str, True),
        "output": (str, True), "model_out": (str, True), "trusted": (list, False),
        "max_bytes": (int, False), "use_picklescan": (bool, False),
    }, OP)
    fmt = args["format"]
    if fmt not in FORMATS:
        raise protocol.ProtocolError(f"unknown format {fmt!r}")
    max_bytes = args.get("max_bytes") or DEFAULT_MAX_MODEL_BYTES
    trusted_set = set(protocol.string_list(args.get("trusted", []), "trusted", 100_000, 64))
    est = Path(args["estimator"])
    data = read_inside(est.parent, est.name, "estimator", max_bytes)
    sha = hashlib.sha256(data).hexdigest()
    trusted = sha in trusted_set
    source = sniff_format(data)
    server.progress(rid, 0.05, "scanning the estimator")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        for category in _QUIET:
            warnings.simplefilter("ignore", category)
        if source == "joblib":
            model, report = load_joblib(data, server.allowlist, trusted_set, file=est.name,
                                        max_bytes=max_bytes)
        else:
            if source == "skops":
                try:
                    import skops.io  # noqa: F401
                except ImportError:
                    raise _fail("missing_dependency", "skops is not installed in the worker's Python") from None
                report = scan_skops(data, loaders.APP_SKOPS_TRUSTED, file=est.name, sha256=sha)
            else:
                report = scan_pickle(data, server.allowlist, file=est.name, sha256=sha,
                                     use_picklescan=args.get("use_picklescan", True) is not False,
                                     progress=lambda f, t: server.progress(rid, f, t))
            allowed, reason = may_load(report, trusted)
            if not allowed:
                raise _fail("refused", reason, report=report)
            server.progress(rid, None, "loading the estimator")
            if source == "skops":
                model = loaders.load_skops(data, report, trusted)
            else:
                model = loaders.load_pickle(data, report, trusted, server.allowlist)
        del data
        if not callable(getattr(model, "predict", None)):
            cls = type(model)
            raise _fail("load_failed", f"the file holds a {cls.__module__}.{cls.__qualname__}, "
                                       "which has no predict() method: not an estimator")
        sample = read_frames(args["input"])
        kind = input_kind_for(sample, getattr(model, "feature_names_in_", None) is not None)
        server.progress(rid, None, "predicting on the sample")
        try:
            predictions = model.predict(model_input(sample, kind))
        except MemoryError:
            raise
        except Exception as exc:
            raise _fail("predict_failed", f"the estimator cannot predict on the sample: "
                                          f"{type(exc).__name__}: {exc}", traceback.format_exc()) from None
        server.progress(rid, None, f"saving as {fmt}")
        blob, skops_types = serialize(model, fmt)
        again = _reload(blob, fmt, report, trusted, server.allowlist)
        if not _same(predictions, again.predict(model_input(sample, kind))):
            raise _fail("load_failed", f"the estimator saved as {fmt} and loaded back predicts "
                                       "differently from the original; not written")
    write_frames(predictions, args["output"])
    _write_new(args["model_out"], blob)
    cls = type(model)
    return {
        "report": report.to_dict(), "trusted": trusted, "source_format": source,
        "model_type": f"{cls.__module__}.{cls.__qualname__}"[:1000], "input_kind": kind,
        "versions": _versions(), "skops_trusted_types": skops_types,
        "warnings": [w["message"] for w in loaders.collect_warnings(records)][:100],
        "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
    }
