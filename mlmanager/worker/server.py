"""The worker process: reads JSON requests, scans/loads/predicts, writes JSON replies.

Started by :mod:`mlmanager.predict.worker_client` as ``python -I ... mlmanager.worker --fds R,W
--limits JSON``. Limits are applied in ``__main__`` before this module is even imported.
Only stdlib at import time; numpy, sklearn, skops, picklescan, pandas and mlflow are imported
when a request needs them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import faulthandler
import hashlib
import os
import sys
import tempfile
import time
import traceback
import warnings
from typing import Any

from mlmanager.core.child_process import LineSplitter
from mlmanager.core.errors import InvalidError, MlmanagerError, ModelReadError, UnsafePathError
from mlmanager.core.verdict import (
    CONTAINS_CODE,
    KNOWN_DANGEROUS,
    SAFE_LISTED,
    UNPARSEABLE,
    SafetyReport,
    may_load,
)
from mlmanager.worker import protocol
from mlmanager.worker.loaders import LoadedModel, LoadFailure
from mlmanager.worker.mismatch import explain_load_failure, required_versions, saved_versions
from mlmanager.worker.plan import (
    DEFAULT_MAX_MODEL_BYTES,
    ModelPlan,
    decompress,
    read_inside,
    snapshot_folder,
)
from mlmanager.worker.versions import environment_versions

_QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


class Server:
    def __init__(self, cmd_fd: int, evt_fd: int, cache_dir: str | None, limits: dict[str, Any]) -> None:
        self.cmd_fd = cmd_fd
        self.evt_fd = evt_fd
        self.cache_dir = cache_dir
        self.limits = limits
        self._allowlist: Any = None
        self.model: LoadedModel | None = None
        self.saved: dict[str, str] = {}  # versions that saved the model being loaded
        self.required: dict[str, str] = {}  # versions its requirements pin
        self.workdir = tempfile.mkdtemp(prefix="model-", dir=os.getcwd())
        self._progress_at = 0.0

    # ------------------------------------------------------------------ channel
    def send(self, message: dict[str, Any]) -> None:
        data = protocol.encode(message)
        view = memoryview(data)
        while view:
            written = os.write(self.evt_fd, view)
            view = view[written:]

    def reply(self, rid: int, data: dict[str, Any]) -> None:
        self.send({"v": protocol.VERSION, "id": rid, "type": "result", "data": data})

    def fail(self, rid: int, kind: str, message: str, details: str = "",
             report: SafetyReport | None = None, path: str | None = None,
             mismatch: bool = False) -> None:
        error: dict[str, Any] = {"kind": kind, "message": message[:20_000], "details": details[-100_000:]}
        if mismatch:
            error["mismatch"] = True
        if report is not None:
            error["report"] = report.to_dict()
        if path is not None:
            error["path"] = path[:8000]
        self.send({"v": protocol.VERSION, "id": rid, "type": "error", "error": error})

    def progress(self, rid: int, fraction: float | None, text: str) -> None:
        now = time.monotonic()
        if now - self._progress_at < 0.2:
            return
        self._progress_at = now
        frac = None if fraction is None else max(0.0, min(1.0, float(fraction)))
        self.send({"v": protocol.VERSION, "id": rid, "type": "progress",
                   "data": {"fraction": frac, "text": text[:1000]}})

    def run(self) -> int:
        info = sys.version_info
        self.send({"v": protocol.VERSION, "id": 0, "type": "hello", "data": {
            "pid": os.getpid(), "python": f"{info.major}.{info.minor}.{info.micro}",
            "executable": sys.executable, "limits": self.limits, "protocol": protocol.VERSION,
        }})
        reader = LineSplitter(protocol.MAX_LINE)
        while True:
            chunk = os.read(self.cmd_fd, 1 << 16)
            if not chunk:
                return 0
            for line in reader.feed(chunk):
                try:
                    req = protocol.validate_request(protocol.decode_line(line))
                except protocol.ProtocolError as exc:
                    self.fail(0, "protocol", f"bad request: {exc}")
                    continue
                if req["op"] == "shutdown":
                    self.reply(req["id"], {})
                    return 0
                self.handle(req)

    # ------------------------------------------------------------------ dispatch
    def handle(self, req: dict[str, Any]) -> None:
        rid = req["id"]
        handler = getattr(self, "op_" + req["op"])
        try:
            self.reply(rid, handler(rid, req["args"]))
        except LoadFailure as exc:
            self.fail(rid, exc.kind, exc.message, exc.details, getattr(exc, "report", None),
                      mismatch=exc.mismatch)
        except MemoryError:
            limit = self.limits.get("address_space")
            where = f" (worker memory limit {limit / (1 << 30):.1f} GiB)" if isinstance(limit, int) else ""
            self.fail(rid, "memory", f"The model ran out of memory{where}.", traceback.format_exc())
        except UnsafePathError as exc:
            self.fail(rid, "unsafe_path", exc.message, path=exc.path)
        except ModelReadError as exc:
            self.fail(rid, "read_failed", exc.message, path=exc.path)
        except (InvalidError, protocol.ProtocolError) as exc:
            self.fail(rid, "bad_request", str(exc), traceback.format_exc())
        except MlmanagerError as exc:
            self.fail(rid, "internal", str(exc), traceback.format_exc())
        except Exception as exc:
            kind = {"predict": "predict_failed", "load": "load_failed"}.get(req["op"], "internal")
            message, mismatch = _describe(exc), False
            if req["op"] in ("load", "predict"):
                message, mismatch = explain_load_failure(exc, self.saved, self.required)
            self.fail(rid, kind, message, traceback.format_exc(), mismatch=mismatch)

    @property
    def allowlist(self) -> Any:
        if self._allowlist is None:
            from mlmanager.worker.allowlist import load_allowlist

            self._allowlist = load_allowlist(self.cache_dir)
        return self._allowlist

    def _plan(self, args: dict[str, Any]) -> ModelPlan:
        try:
            return ModelPlan.from_dict(args.get("plan"))
        except ValueError as exc:
            raise protocol.ProtocolError(str(exc)) from None

    @staticmethod
    def _max_bytes(args: dict[str, Any]) -> int:
        value = args.get("max_bytes", DEFAULT_MAX_MODEL_BYTES)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise protocol.ProtocolError("max_bytes must be a positive integer")
        return value

    def _scan(self, rid: int, plan: ModelPlan, args: dict[str, Any], copy_to: str | None
              ) -> tuple[bytes, SafetyReport]:
        """Read the model file once, hash it, classify it. Returns the bytes that were scanned."""
        max_bytes = self._max_bytes(args)
        use_ps = args.get("use_picklescan", True) is not False
        if plan.kind == "pyfunc":
            digest, _files = snapshot_folder(plan.root, copy_to, max_bytes)
            base = copy_to or plan.root
            data = b""
            if plan.model_file:
                data = read_inside(base, plan.model_file, "python_model", max_bytes)
                if plan.compression:
                    data = decompress(data, plan.compression, max_bytes)
                report = self._scan_pickle(rid, data, plan, use_ps)
            else:
                report = SafetyReport(CONTAINS_CODE, file=None)
            return data, _as_pyfunc(report, plan, digest)
        assert plan.model_file is not None
        data = read_inside(plan.root, plan.model_file, "pickled_model", max_bytes)
        if plan.serialization_format == "skops":
            from mlmanager.worker.loaders import APP_SKOPS_TRUSTED
            from mlmanager.worker.scanner import scan_skops

            try:
                import skops.io  # noqa: F401
            except ImportError:
                raise LoadFailure(
                    "missing_dependency",
                    f"skops is not installed in the worker's Python ({sys.executable})",
                ) from None
            return data, scan_skops(
                data, APP_SKOPS_TRUSTED, mlmodel_trusted=plan.skops_trusted_types,
                file=plan.model_file, sha256=hashlib.sha256(data).hexdigest(),
            )
        return data, self._scan_pickle(rid, data, plan, use_ps)

    def _scan_pickle(self, rid: int, data: bytes, plan: ModelPlan, use_ps: bool) -> SafetyReport:
        from mlmanager.worker.scanner import scan_pickle

        self.progress(rid, 0.0, "building the allowlist")
        allow = self.allowlist
        return scan_pickle(
            data, allow, file=plan.model_file, sha256=hashlib.sha256(data).hexdigest(),
            use_picklescan=use_ps, progress=lambda f, t: self.progress(rid, f, t),
        )

    # ------------------------------------------------------------------ operations
    def op_ping(self, rid: int, args: dict[str, Any]) -> dict[str, Any]:
        return {"pid": os.getpid()}

    def op_prepare(self, rid: int, args: dict[str, Any]) -> dict[str, Any]:
        """Warm up: import scikit-learn and build the allowlist before the first real request."""
        return {"allowlist": len(self.allowlist)}

    def op_package(self, rid: int, args: dict[str, Any]) -> dict[str, Any]:
        """Load a bare estimator file, predict, re-serialize (``estimator.py``, packaging)."""
        from mlmanager.worker.package_op import op_package

        return op_package(self, rid, args)

    def op_scan(self, rid: int, args: dict[str, Any]) -> dict[str, Any]:
        plan = self._plan(args)
        _data, report = self._scan(rid, plan, args, None)
        return {"report": report.to_dict()}

    def op_load(self, rid: int, args: dict[str, Any]) -> dict[str, Any]:
        from mlmanager.worker import loaders

        started = time.perf_counter()
        plan = self._plan(args)
        trusted_set = set(protocol.string_list(args.get("trusted", []), "trusted", 100_000, 64))
        self.model = None
        self.saved = saved_versions(plan)
        self.required = required_versions(plan)
        copy_dir = None
        if plan.kind == "pyfunc":
            copy_dir = tempfile.mkdtemp(prefix="copy-", dir=self.workdir)
        data, report = self._scan(rid, plan, args, copy_dir)
        trusted = report.sha256 in trusted_set
        allowed, reason = may_load(report, trusted)
        if not allowed:
            failure = LoadFailure("refused", reason)
            failure.report = report  # type: ignore[attr-defined]
            raise failure
        versions = environment_versions()
        warns = loaders.skew_warnings(plan, versions)
        warns += [{"kind": "skops_trusted_types", "message": w, "estimator": None,
                   "original_version": None, "current_version": None} for w in report.warnings]
        self.progress(rid, None, "loading the model")
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            for category in _QUIET_WARNINGS:
                warnings.simplefilter("ignore", category)
            loader = loaders.RESTRICTED if report.classification == SAFE_LISTED else loaders.PICKLE
            if loaders.through_mlflow(plan, report, trusted):
                if copy_dir is None:  # a scikit-learn model: mlflow loads a private copy
                    copy_dir = self._private_copy(plan, data, args)
                model = loaders.load_pyfunc(copy_dir, plan, trusted)
                loader = loaders.MLFLOW
            else:
                if plan.serialization_format == "skops":
                    loader = loaders.SKOPS
                if trusted:
                    loaders.add_code_path(plan.root, plan)
                if plan.serialization_format == "skops":
                    model = loaders.load_skops(data, report, trusted)
                else:
                    model = loaders.load_pickle(data, report, trusted, self.allowlist)
        del data
        loaders.check_predictable(model, plan, loader)
        warns += loaders.collect_warnings(records)
        self.model = LoadedModel(model=model, plan=plan, report=report, trusted=trusted, warnings=warns,
                                 loader=loader)
        if loader == loaders.MLFLOW:
            loader += f" (mlflow {versions.get('mlflow') or '?'})"
        return {
            "report": report.to_dict(), "trusted": trusted, "model_type": self.model.model_type,
            "loader": loader,
            "versions": versions, "warnings": warns, "seconds": time.perf_counter() - started,
        }

    def _private_copy(self, plan: ModelPlan, data: bytes, args: dict[str, Any]) -> str:
        """Copy the folder for mlflow to load; the model file is the very bytes scanned (T30)."""
        copy_dir = tempfile.mkdtemp(prefix="copy-", dir=self.workdir)
        snapshot_folder(plan.root, copy_dir, self._max_bytes(args))
        assert plan.model_file is not None
        target = os.path.join(copy_dir, *plan.model_file.split("/"))
        with open(target, "wb") as fh:
            fh.write(data)
        return copy_dir

    def op_predict(self, rid: int, args: dict[str, Any]) -> dict[str, Any]:
        from mlmanager.worker import loaders
        from mlmanager.worker.frames import decode_value, read_frames, write_frames

        if self.model is None:
            raise LoadFailure("no_model", "no model is loaded in the worker")
        protocol.check_fields(args, {"input": (str, True), "output": (str, True), "params": (dict, False)},
                              "predict")
        params = None
        if args.get("params") is not None:
            params = decode_value(args["params"])
            if not isinstance(params, dict):
                raise protocol.ProtocolError("params must be a mapping")
        data = read_frames(args["input"])
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            for category in _QUIET_WARNINGS:
                warnings.simplefilter("ignore", category)
            started = time.perf_counter()
            result = self.model.predict(data, params)
            seconds = time.perf_counter() - started
        del data
        write_frames(result, args["output"])
        return {"seconds": seconds, "warnings": loaders.collect_warnings(records)}


def _as_pyfunc(report: SafetyReport, plan: ModelPlan, digest: str) -> SafetyReport:
    """A pyfunc folder always runs code: at least CONTAINS-CODE, keyed by the folder digest."""
    reason = (f"loads through mlflow.pyfunc (loader_module {plan.loader_module}): "
              "the folder's code runs in the worker")
    classification = report.classification
    reasons = tuple(report.reasons)
    if classification not in (KNOWN_DANGEROUS, UNPARSEABLE):
        classification = CONTAINS_CODE
        reasons = (reason, *reasons)
    return dataclasses.replace(
        report, classification=classification, format="pyfunc", sha256=digest, reasons=reasons,
    )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, ModuleNotFoundError):
        return (f"{text}: the model needs a module this Python does not have "
                "(a different library version saved it?)")
    return f"{type(exc).__name__}: {text}"[:5000]


def main(argv: list[str], limits_applied: dict[str, Any] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlmanager.worker", add_help=False)
    parser.add_argument("--fds")
    parser.add_argument("--stdio", action="store_true")
    parser.add_argument("--limits", default="{}")
    parser.add_argument("--cache-dir", default=None)
    args, _unknown = parser.parse_known_args(argv)
    faulthandler.enable(file=sys.stderr, all_threads=True)
    if args.fds:
        cmd_fd, evt_fd = (int(x) for x in args.fds.split(","))
    else:  # Windows / no pass_fds: keep the original stdin/stdout as the channel
        cmd_fd, evt_fd = os.dup(0), os.dup(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
    for fd in (cmd_fd, evt_fd):
        with contextlib.suppress(OSError):
            os.set_inheritable(fd, False)
    # Model code that prints must not be able to forge protocol lines: stdout goes to stderr.
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    server = Server(cmd_fd, evt_fd, args.cache_dir, limits_applied or {})
    return server.run()
