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
   with column names, else a numpy array) and write the predictions as a frames payload;
5. re-serialize into the requested format (pickle / cloudpickle with ``pickle.DEFAULT_PROTOCOL``
   as MLflow does; skops with ``skops.io.dumps``, refusing types outside the app's trusted
   list), load the result back and check it predicts the same, then create ``model_out``.

Wiring (parent and child run the same mlmanager package): ``protocol.OPS`` needs ``"package"``
and ``server.Server`` an ``op_package`` method delegating to :func:`op_package`;
:func:`install` does both at runtime (idempotent) until they are added in those modules.
The parent side is :class:`WorkerEstimatorRunner` (the runner of ``core.packaging``).
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import hashlib
import importlib
import io
import os
import pickle
import shutil
import tempfile
import threading
import traceback
import warnings
from collections.abc import Container
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InvalidError
from mlmanager.core.safety import (
    SAFE_LISTED,
    SafetyReport,
    classify_globals,
    is_dangerous_global,
    may_load,
)
from mlmanager.core.transfer.package_estimator import (
    FORMATS,
    INPUT_KINDS,
    EstimatorJob,
    EstimatorRun,
)
from mlmanager.core.transfer.staging import TransferCancelled
from mlmanager.worker import protocol

OP = "package"
JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
BUILD_TOOLS = ("pip", "setuptools", "wheel")
_QUIET = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


# ============================================================================ wiring


def install() -> None:
    """Register the ``package`` op in this (worker) process: protocol + server. Idempotent."""
    if OP not in protocol.OPS:
        protocol.OPS = (*protocol.OPS, OP)
    from mlmanager.worker import server

    if not hasattr(server.Server, "op_package"):
        server.Server.op_package = lambda self, rid, args: op_package(self, rid, args)  # type: ignore[attr-defined]


def is_wired() -> bool:
    """True when ``protocol.py`` and ``server.py`` themselves handle the ``package`` op."""
    from mlmanager.worker import server

    return OP in protocol.OPS and "op_package" in vars(server.Server)


def worker_supports_package() -> bool:
    """Whether a worker started now handles ``package``: wired in the modules, or started with
    :data:`INSTALLING_BOOTSTRAP` (which registers the op before the server starts)."""
    from mlmanager.worker import client

    return is_wired() or getattr(client, "_BOOTSTRAP", None) == INSTALLING_BOOTSTRAP


# ============================================================================ child side


def _fail(kind: str, message: str, details: str = "", report: SafetyReport | None = None) -> Exception:
    from mlmanager.worker.loaders import LoadFailure

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
    from mlmanager.worker.scanner import list_pickle_globals

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
    from mlmanager.worker.unpickler import BlockedGlobalError

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
    from mlmanager.worker.loaders import environment_versions, package_version

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
    from mlmanager.worker.loaders import APP_SKOPS_TRUSTED

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

        from mlmanager.worker.loaders import APP_SKOPS_TRUSTED

        return sio.loads(blob, trusted=list(APP_SKOPS_TRUSTED))
    if trusted or report.classification != SAFE_LISTED:
        return pickle.loads(blob)  # noqa: S301 - the same object the user trusted, just re-dumped
    from mlmanager.worker.unpickler import restricted_loads

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
    from mlmanager.core.transfer.package_estimator import input_kind_for, model_input
    from mlmanager.worker import loaders
    from mlmanager.worker.frames import read_payload, write_payload
    from mlmanager.worker.plan import DEFAULT_MAX_MODEL_BYTES, read_inside
    from mlmanager.worker.scanner import scan_pickle, scan_skops

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
        sample = read_payload(args["input"])
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
    write_payload(predictions, args["output"])
    _write_new(args["model_out"], blob)
    cls = type(model)
    return {
        "report": report.to_dict(), "trusted": trusted, "source_format": source,
        "model_type": f"{cls.__module__}.{cls.__qualname__}"[:1000], "input_kind": kind,
        "versions": _versions(), "skops_trusted_types": skops_types,
        "warnings": [w["message"] for w in loaders.collect_warnings(records)][:100],
        "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
    }


# ============================================================================ parent side


def _request(client: Any, args: dict[str, Any], timeout: float, on_progress: Any) -> dict[str, Any]:
    """Send the request through ``client`` (one call at a time, like its own calls).

    Uses the client's plumbing (``_call`` under its lock); a public
    ``WorkerClient.request(op, args, ...)`` would replace this helper. Like a load, a job whose
    estimator was not SAFE-LISTED (trusted code ran) or that failed leaves the worker marked
    for a restart before its next job.
    """
    with client._lock:  # noqa: SLF001 - see the docstring
        client._begin()  # noqa: SLF001
        client._collect_pending()  # noqa: SLF001
        state = client._state  # noqa: SLF001
        if state is not None and state.tainted:
            client._restart()  # noqa: SLF001 - trusted code ran there: never reuse it
        from mlmanager.worker.errors import ModelRefusedError

        clean = False
        try:
            data = client._call(OP, args, timeout, "packaging the estimator", on_progress)  # noqa: SLF001
            report = data.get("report")
            clean = (isinstance(report, dict) and report.get("classification") == SAFE_LISTED
                     and data.get("trusted") is False)
            return data
        except ModelRefusedError:
            # refused before anything outside the allowlist ran (with trust given, a joblib
            # file may have run trusted code before reaching the refused name)
            clean = not args.get("trusted")
            raise
        finally:
            state = client._state  # noqa: SLF001
            if state is not None and not clean:
                state.tainted = True


def _strings(value: Any, what: str, limit: int = 1000) -> list[str]:
    if not isinstance(value, list) or len(value) > limit or not all(
        isinstance(v, str) and len(v) <= 4096 for v in value
    ):
        raise protocol.ProtocolError(f"{what} must be a list of strings")
    return list(value)


def run_from_reply(data: dict[str, Any], predictions: Any) -> EstimatorRun:
    """Validate the (untrusted) reply and build the core's EstimatorRun."""
    from mlmanager.worker.errors import WorkerProtocolError

    try:
        report = SafetyReport.from_dict(data.get("report"))
        versions = data.get("versions")
        if not isinstance(versions, dict) or len(versions) > 50 or not all(
            isinstance(k, str) and (v is None or (isinstance(v, str) and len(v) < 200))
            for k, v in versions.items()
        ):
            raise protocol.ProtocolError("versions must map names to version strings")
        kind = data.get("input_kind")
        if kind not in INPUT_KINDS:
            raise protocol.ProtocolError("invalid input_kind")
        source = data.get("source_format")
        if source not in ("pickle", "joblib", "skops"):
            raise protocol.ProtocolError("invalid source_format")
        skops_types = data.get("skops_trusted_types")
        if skops_types is not None:
            skops_types = _strings(skops_types, "skops_trusted_types")
        model_type = data.get("model_type")
        if not isinstance(model_type, str):
            raise protocol.ProtocolError("invalid model_type")
        warns = _strings(data.get("warnings", []), "warnings", 100)
        trusted = data.get("trusted")
        if not isinstance(trusted, bool):
            raise protocol.ProtocolError("invalid trusted flag")
    except (ValueError, protocol.ProtocolError) as exc:
        raise WorkerProtocolError(f"invalid reply to the package request: {exc}") from None
    return EstimatorRun(
        predictions=predictions, input_kind=kind, versions=dict(versions),
        model_type=model_type[:1000], classification=report.classification, sha256=report.sha256,
        source_format=source, skops_trusted_types=skops_types, trusted=trusted,
        warnings=[w[:2000] for w in warns],
    )


class WorkerEstimatorRunner:
    """The ``core.packaging`` runner that uses the prediction worker.

    ``python``: the worker's interpreter (its versions end up in the requirements). A given
    ``client`` is reused (and marked for restart afterwards); otherwise a fresh worker is
    started for the job and stopped after it. ``cancel()`` may be called from any thread.
    """

    def __init__(self, python: str | os.PathLike[str] | None = None, *, client: Any = None,
                 timeout: float = 600.0) -> None:
        self.python = python
        self.timeout = timeout
        self._client = client
        self._active: Any = None

    def cancel(self) -> None:
        client = self._active
        if client is not None:
            client.cancel()

    def __call__(self, job: EstimatorJob) -> EstimatorRun:
        from mlmanager.worker.client import WorkerClient
        from mlmanager.worker.errors import WorkerCancelled
        from mlmanager.worker.frames import read_payload, write_payload

        if not worker_supports_package():
            from mlmanager.worker.errors import WorkerStartError

            raise WorkerStartError(
                "this build's prediction worker does not handle the 'package' request yet "
                "(mlmanager.worker.protocol.OPS and server.Server.op_package must include it; "
                "see mlmanager.worker.estimator)"
            )
        client = self._client or WorkerClient(self.python, timeout=self.timeout)
        self._active = client
        io_dir = Path(tempfile.mkdtemp(prefix="mlmanager-package-"))
        stop = threading.Event()
        watcher = None
        if job.cancel is not None:
            watcher = threading.Thread(target=self._watch, args=(job.cancel, client, stop),
                                       name="mlmanager-package-cancel", daemon=True)
            watcher.start()

        def progress(fraction: float | None, text: str) -> None:
            if job.progress is not None:
                job.progress(fraction, text)

        try:
            write_payload(job.sample, io_dir / "in")
            (io_dir / "out").mkdir()
            args = {
                "estimator": str(Path(job.estimator_file).resolve()), "format": job.format,
                "input": str(io_dir / "in"), "output": str(io_dir / "out"),
                "model_out": str(Path(job.model_out).resolve()),
                "trusted": list(job.trusted_sha256s),
            }
            data = _request(client, args, self.timeout, progress)
            predictions = read_payload(io_dir / "out")
            return run_from_reply(data, predictions)
        except WorkerCancelled:
            raise TransferCancelled("packaging cancelled; nothing was written") from None
        except ValueError as exc:  # frames could not carry the sample
            if isinstance(exc, InvalidError):
                raise
            raise InvalidError(f"the sample cannot be sent to the worker: {exc}") from None
        finally:
            stop.set()
            if watcher is not None:
                watcher.join(timeout=2)
            self._active = None
            shutil.rmtree(io_dir, ignore_errors=True)
            if self._client is None:
                client.close()

    @staticmethod
    def _watch(cancel: Any, client: Any, stop: threading.Event) -> None:
        while not stop.wait(0.1):
            with contextlib.suppress(Exception):
                if cancel():
                    client.cancel()
                    return


# A bootstrap for a worker that has the op registered before the server starts. Only needed
# (and only used, by tests) while server.py/protocol.py do not wire the op themselves.
INSTALLING_BOOTSTRAP = (
    "import sys, os, importlib.util\n"
    "pkg = sys.argv.pop(1)\n"
    "spec = importlib.util.spec_from_file_location("
    "'mlmanager', os.path.join(pkg, '__init__.py'), submodule_search_locations=[pkg])\n"
    "mod = importlib.util.module_from_spec(spec)\n"
    "sys.modules['mlmanager'] = mod\n"
    "spec.loader.exec_module(mod)\n"
    "from mlmanager.worker.limits import apply_limits_from_argv\n"
    "applied = apply_limits_from_argv(sys.argv[1:])\n"
    "from mlmanager.worker import estimator\n"
    "estimator.install()\n"
    "from mlmanager.worker.server import main\n"
    "sys.exit(main(sys.argv[1:], applied))\n"
)
