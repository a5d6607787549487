"""The Artifacts tab's preview task: images (decoded with Qt) and model files (the worker's
safety scan) here, every other kind from ``mlmanager.core.model.artifact_preview``."""

from __future__ import annotations

from typing import Any

from mlmanager.core.model.artifact_preview import (
    IMAGE_CAP,
    IMAGE_PIXELS,
    PreviewData,
    preview_file,
    preview_kind,
)
from mlmanager.core.safety import SafetyReport
from mlmanager.core.sizes import format_size
from mlmanager.predict.worker_client import WorkerClient


def load_preview(state: Any, files: Any, rel: str, kind: str, model_dir: str | None) -> PreviewData:
    """Build the preview of ``rel`` (a worker-thread task function)."""
    pk = preview_kind(rel, kind)
    if pk == "safety":
        return _safety(state, files, rel, model_dir)
    if pk == "image":
        return _image(files, rel)
    return preview_file(files, rel, kind)


def _image(files: Any, rel: str) -> PreviewData:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImageReader

    entry = files.stat(rel)
    if entry.size > IMAGE_CAP:
        return PreviewData("message", f"The image is {format_size(entry.size)}; too large to preview.")
    data = files.read_bytes(rel, max_bytes=IMAGE_CAP)
    buf = QBuffer()
    buf.setData(QByteArray(data))
    buf.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buf)
    reader.setAllocationLimit(256)  # MiB; a decompression bomb fails instead of eating memory
    size = reader.size()
    if size.isValid() and size.width() * size.height() > IMAGE_PIXELS:
        return PreviewData("message", f"The image is {size.width()}×{size.height()} pixels; too large to preview.")
    image = reader.read()
    if image.isNull():
        return PreviewData("message", f"The image cannot be decoded: {reader.errorString()}")
    return PreviewData("image", image=image, note=f"{image.width()}×{image.height()} pixels, {format_size(entry.size)}")


def _safety(state: Any, files: Any, rel: str, model_dir: str | None) -> PreviewData:
    entry = files.stat(rel)
    base = f"{rel}: {format_size(entry.size)} model file. Its bytes are not shown; this is what a " \
           "scan of its imports found."
    if model_dir is None:
        return PreviewData("message", base + "\n\nScan not available for models inside a zip: "
                                             "extract it to a folder first.")
    try:
        client_cls = worker_client_class()
    except ImportError:
        return PreviewData("message", base + "\n\nScan not available (the worker is not installed).")
    try:
        report = _run_scan(state, client_cls, model_dir)
    except Exception as exc:  # noqa: BLE001 - the scan is advisory; show why it failed
        if state is not None and state.cancelled:
            raise
        return PreviewData("message", base + f"\n\nScan not available: {exc}")
    if report is None:
        return PreviewData("message", base + "\n\nScan not available.")
    scanned = getattr(report, "file", None)
    if scanned and scanned != rel:
        base = (f"{rel}: {format_size(entry.size)}. Its bytes are not shown. The scan covers the file "
                f"the model's flavor loads, {scanned}:")
    return PreviewData("safety", base, safety=report)


def worker_client_class() -> Any:
    """The worker client (a seam: tests put a fake here)."""
    return WorkerClient


def _run_scan(state: Any, client_cls: Any, model_dir: str) -> Any:
    """Scan in the worker subprocess; cancelling the task kills the worker."""
    client = client_cls()
    try:
        if state is not None:
            state.on_cancel(client.cancel)
        result = client.scan(model_dir)
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
    if isinstance(result, dict):
        result = SafetyReport.from_dict(result.get("report", result))
    return result
