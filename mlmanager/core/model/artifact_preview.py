"""The preview of one artifact file: text, JSON, Markdown, a table's first rows, a hex dump.

Runs off the GUI thread; returns plain data. Every read goes through the model's
``ModelFiles`` (no symlinks followed, FIFOs never opened) and is capped: big files are previewed
partially. CSV and Parquet import pandas/pyarrow lazily. Images (decoded with Qt) and model
files (never read as bytes: the worker's safety scan instead) are previewed by the UI
(``mlmanager.ui.pages.artifact_preview``).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.sizes import format_size

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
    image: Any = None  # QImage, set by the UI (thread-safe to build off the GUI thread)
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


def _read_head(files: Any, rel: str, cap: int) -> tuple[bytes, int]:
    """(first ``cap`` bytes, full size)."""
    entry = files.stat(rel)
    with files.open_stream(rel) as fh:
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


def preview_file(files: Any, rel: str, kind: str) -> PreviewData:
    """The preview of ``rel`` read through ``files`` (run it off the GUI thread). Images and
    model files (``preview_kind`` ``image`` / ``safety``) need Qt and the worker: the UI does those."""
    pk = preview_kind(rel, kind)
    if pk in ("image", "safety"):
        raise ValueError(f"{rel}: {pk} previews are built by the UI")
    if pk == "symlink":
        entry = files.stat(rel)
        return PreviewData("message", f"{rel} is a symbolic link to {entry.target!r}. mlmanager does "
                                      "not follow links inside models.")
    if pk == "special":
        entry = files.stat(rel)
        return PreviewData("message", f"{rel} is a special file ({entry.detail or 'not a regular file'}); "
                                      "it is never opened.")
    if pk == "table":
        return _table(files, rel)
    if pk == "json":
        data, size = _read_head(files, rel, JSON_CAP)
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
            note = f"Showing the start of the formatted JSON ({format_size(size)} file)."
        return PreviewData("json", pretty, note, language="json")
    data, size = _read_head(files, rel, TEXT_CAP)
    if pk == "markdown" and not _looks_binary(data):
        out = _text(data, size, "markdown")
        out.kind = "markdown"
        return out
    if _looks_binary(data):
        return PreviewData("hex", _hex(data),
                           f"Binary file, {format_size(size)}; showing the first "
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
        note = f"Large file: showing the first {format_size(len(data))} of {format_size(size)}."
    return PreviewData("text", text, note, language=language)


def _table(files: Any, rel: str) -> PreviewData:
    suffix = suffix_of(rel)
    entry = files.stat(rel)
    try:
        if suffix in (".parquet", ".pq"):
            headers, rows, total = _parquet_head(files, rel)
        else:
            headers, rows, total = _csv_head(files, rel, "\t" if suffix == ".tsv" else ",")
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
    note += f" · {len(headers)} columns · {format_size(entry.size)}"
    return PreviewData("table", headers=headers, rows=rows, note=note)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _csv_head(files: Any, rel: str, sep: str) -> tuple[list[str], list[list[str]], int | None]:
    import pandas as pd  # lazily, in the worker thread

    data, size = _read_head(files, rel, 8 << 20)
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


def _parquet_head(files: Any, rel: str) -> tuple[list[str], list[list[str]], int | None]:
    import pyarrow.parquet as pq  # lazily, in the worker thread

    with files.open_stream(rel) as fh:
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
