"""What the Artifacts tab shows for one file. Runs in a worker thread; returns plain data.

Every read goes through the model's ``ModelSource`` (no symlinks followed, FIFOs never opened)
and is capped: big files are previewed partially. CSV and Parquet import pandas/pyarrow here,
lazily, off the GUI thread. Model files are not read as bytes at all: they get the worker's
safety classification and import list instead.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.errors import MlmanagerError

TEXT_CAP = 256 << 10
JSON_CAP = 4 << 20
IMAGE_CAP = 20 << 20
IMAGE_PIXELS = 40_000_000
TABLE_ROWS = 200
HEX_BYTES = 2048

TEXT_SUFFIXES = {
    ".txt", ".yaml", ".yml", ".py", ".cfg", ".ini", ".toml", ".sh", ".log", ".html", ".xml",
    ".js", ".r", ".sql", ".env", ".gitignore", ".in", "",
}
MODEL_SUFFIXES = {".pkl", ".pickle", ".joblib", ".skops", ".pth", ".pt", ".cloudpickle", ".dill"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".svg", ".ico"}
TABLE_SUFFIXES = {".csv", ".tsv", ".parquet", ".pq"}


@dataclass
class PreviewData:
    kind: str  # text | json | markdown | table | image | safety | hex | message
    text: str = ""
    note: str = ""  # "showing the first 256 KiB of 3.1 MiB", ...
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    image: Any = None  # QImage (thread-safe to build off the GUI thread)
    safety: Any = None  # core.safety.SafetyReport
    language: str = ""  # yaml | python | ... for highlighting


def suffix_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def preview_kind(path: str, kind: str) -> str:
    """Which preview a file gets (decided without reading it)."""
    if kind == "symlink":
        return "symlink"
    if kind == "special":
        return "special"
    suffix = suffix_of(path)
    if kind == "model" or suffix in MODEL_SUFFIXES:
        return "safety"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in TABLE_SUFFIXES:
        return "table"
    if suffix == ".json":
        return "json"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"


def _size_text(n: int) -> str:
    from mlmanager.ui.widgets.common import format_size

    return format_size(n)


def _read_head(source: Any, rel: str, cap: int) -> tuple[bytes, int]:
    """(first ``cap`` bytes, full size)."""
    entry = source.stat(rel)
    with source.open_stream(rel) as fh:
        data = fh.read(cap)
    return data, entry.size


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def _hex(data: bytes) -> str:
    lines = []
    for off in range(0, min(len(data), HEX_BYTES), 16):
        chunk = data[off:off + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "·" for b in chunk)
        lines.append(f"{off:08x}  {hexes:<47}  {text}")
    return "\n".join(lines)


def load_preview(state: Any, source: Any, rel: str, kind: str, model_dir: str | None) -> PreviewData:
    """Build the preview of ``rel`` (a worker-thread task function)."""
    pk = preview_kind(rel, kind)
    if pk == "safety":
        return _safety(state, source, rel, model_dir)
    if pk == "symlink":
        entry = source.stat(rel)
        return PreviewData("message", f"{rel} is a symbolic link to {entry.target!r}. mlmanager does "
                                      "not follow links inside models.")
    if pk == "special":
        entry = source.stat(rel)
        return PreviewData("message", f"{rel} is a special file ({entry.detail or 'not a regular file'}); "
                                      "it is never opened.")
    if pk == "image":
        return _image(source, rel)
    if pk == "table":
        return _table(source, rel)
    if pk == "json":
        data, size = _read_head(source, rel, JSON_CAP)
        if len(data) < size:
            return _text(data[:TEXT_CAP], size, "json")
        try:
            obj = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            out = _text(data[:TEXT_CAP], size, "json")
            out.note = (out.note + "  " if out.note else "") + f"Not valid JSON: {exc}"
            return out
        pretty = json.dumps(obj, indent=2, ensure_ascii=False, default=str)
        note = ""
        if len(pretty) > TEXT_CAP:
            pretty = pretty[:TEXT_CAP] + "\n…"
            note = f"Showing the start of the formatted JSON ({_size_text(size)} file)."
        return PreviewData("json", pretty, note, language="json")
    data, size = _read_head(source, rel, TEXT_CAP)
    if pk == "markdown" and not _looks_binary(data):
        out = _text(data, size, "markdown")
        out.kind = "markdown"
        return out
    if _looks_binary(data):
        return PreviewData("hex", _hex(data),
                           f"Binary file, {_size_text(size)}; showing the first "
                           f"{min(len(data), HEX_BYTES)} bytes.")
    suffix = suffix_of(rel)
    lang = {".yaml": "yaml", ".yml": "yaml", ".py": "python"}.get(suffix, "")
    if rel.rsplit("/", 1)[-1] == "MLmodel":
        lang = "yaml"
    return _text(data, size, lang)


def _text(data: bytes, size: int, language: str) -> PreviewData:
    text = data.decode("utf-8", "replace")
    note = ""
    if len(data) < size:
        note = f"Large file: showing the first {_size_text(len(data))} of {_size_text(size)}."
    return PreviewData("text", text, note, language=language)


def _image(source: Any, rel: str) -> PreviewData:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImageReader

    entry = source.stat(rel)
    if entry.size > IMAGE_CAP:
        return PreviewData("message", f"The image is {_size_text(entry.size)}; too large to preview.")
    data = source.read_bytes(rel, max_bytes=IMAGE_CAP)
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
    return PreviewData("image", image=image, note=f"{image.width()}×{image.height()} pixels, {_size_text(entry.size)}")


def _table(source: Any, rel: str) -> PreviewData:
    suffix = suffix_of(rel)
    entry = source.stat(rel)
    try:
        if suffix in (".parquet", ".pq"):
            headers, rows, total = _parquet_head(source, rel)
        else:
            headers, rows, total = _csv_head(source, rel, "\t" if suffix == ".tsv" else ",")
    except ImportError as exc:
        return PreviewData("message", f"Previewing this file needs {exc.name or 'an extra package'} "
                                      "(pip install mlmanager[parquet]).")
    except MlmanagerError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse error becomes a message, not a crash
        return PreviewData("message", f"This file cannot be read as a table: {type(exc).__name__}: {exc}")
    note = f"First {len(rows)} rows"
    if total is not None:
        note += f" of {total:,}"
    note += f" · {len(headers)} columns · {_size_text(entry.size)}"
    return PreviewData("table", headers=headers, rows=rows, note=note)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _csv_head(source: Any, rel: str, sep: str) -> tuple[list[str], list[list[str]], int | None]:
    import pandas as pd  # lazily, in the worker thread

    data, size = _read_head(source, rel, 8 << 20)
    if len(data) < size:  # cut at the last complete line
        data = data[: data.rfind(b"\n") + 1] or data
    df = pd.read_csv(io.BytesIO(data), sep=sep, nrows=TABLE_ROWS)
    headers = [str(c) for c in df.columns]
    headers = [f"{h}\n{df.dtypes.iloc[i]}" for i, h in enumerate(headers)]
    rows = [[_cell(v) for v in row] for row in df.astype(object).itertuples(index=False, name=None)]
    total = None
    if len(data) == size:
        total = max(data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1), 0)
    return headers, rows, total


def _parquet_head(source: Any, rel: str) -> tuple[list[str], list[list[str]], int | None]:
    import pyarrow.parquet as pq  # lazily, in the worker thread

    with source.open_stream(rel) as fh:
        data = fh.read(256 << 20)
    pf = pq.ParquetFile(io.BytesIO(data))
    total = pf.metadata.num_rows
    batch = next(pf.iter_batches(batch_size=TABLE_ROWS), None)
    schema = pf.schema_arrow
    headers = [f"{f.name}\n{f.type}" for f in schema]
    if batch is None:
        return headers, [], total
    cols = batch.to_pydict()
    names = list(cols)
    rows = [[_cell(cols[n][i]) for n in names] for i in range(batch.num_rows)]
    return headers, rows, total


def _safety(state: Any, source: Any, rel: str, model_dir: str | None) -> PreviewData:
    entry = source.stat(rel)
    base = f"{rel}: {_size_text(entry.size)} model file. Its bytes are not shown; this is what a " \
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
        base = (f"{rel}: {_size_text(entry.size)}. Its bytes are not shown. The scan covers the file "
                f"the model's flavor loads, {scanned}:")
    return PreviewData("safety", base, safety=report)


def worker_client_class() -> Any:
    """The worker client (a seam: tests put a fake here)."""
    from mlmanager.predict.worker_client import WorkerClient

    return WorkerClient


def _run_scan(state: Any, client_cls: Any, model_dir: str) -> Any:
    """Scan in the worker subprocess; cancelling the task kills the worker."""
    from mlmanager.core.safety import SafetyReport

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
