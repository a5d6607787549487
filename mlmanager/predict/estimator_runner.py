"""The packaging runner that uses the prediction worker (parent side of the ``package`` op).

``core.transfer.package_estimator`` packages a bare estimator file as a new model; the load,
the prediction on the sample and the re-serialization run in the limited worker
(:mod:`mlmanager.worker.package_op`), under the same safety rules as predictions.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InvalidError
from mlmanager.core.transfer.estimator_input import INPUT_KINDS
from mlmanager.core.transfer.package_estimator import EstimatorJob, EstimatorRun
from mlmanager.core.transfer.staging import TransferCancelled
from mlmanager.core.verdict import SAFE_LISTED, SafetyReport
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker import protocol
from mlmanager.worker.errors import WorkerCancelled, WorkerProtocolError
from mlmanager.worker.frames import read_frames, write_frames
from mlmanager.worker.package_op import OP


def _request(client: WorkerClient, args: dict[str, Any], timeout: float, on_progress: Any) -> dict[str, Any]:
    """Send the ``package`` request. Like a load, a job whose estimator was not SAFE-LISTED
    (trusted code ran) or that failed leaves the worker marked for a restart before its next
    job; a refusal without trust ran nothing outside the allowlist (with trust given, a joblib
    file may have run trusted code before reaching the refused name)."""

    def clean(data: dict[str, Any] | None) -> bool:
        if data is None:  # refused
            return not args.get("trusted")
        report = data.get("report")
        return (isinstance(report, dict) and report.get("classification") == SAFE_LISTED
                and data.get("trusted") is False)

    return client.request(OP, args, timeout=timeout, what="packaging the estimator",
                          on_progress=on_progress, clean=clean)


def _strings(value: Any, what: str, limit: int = 1000) -> list[str]:
    if not isinstance(value, list) or len(value) > limit or not all(
        isinstance(v, str) and len(v) <= 4096 for v in value
    ):
        raise protocol.ProtocolError(f"{what} must be a list of strings")
    return list(value)


def run_from_reply(data: dict[str, Any], predictions: Any) -> EstimatorRun:
    """Validate the (untrusted) reply and build the core's EstimatorRun."""

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
            write_frames(job.sample, io_dir / "in")
            (io_dir / "out").mkdir()
            args = {
                "estimator": str(Path(job.estimator_file).resolve()), "format": job.format,
                "input": str(io_dir / "in"), "output": str(io_dir / "out"),
                "model_out": str(Path(job.model_out).resolve()),
                "trusted": list(job.trusted_sha256s),
            }
            data = _request(client, args, self.timeout, progress)
            predictions = read_frames(io_dir / "out")
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
