"""Reading model inputs: CSV, JSON (every form MLflow accepts) and Parquet, robustly.

Nothing here interprets the data against a signature: a :class:`RawInput` keeps what was read
(the decoded text or JSON document) plus every problem found while reading, and builds the
plain Python/pandas value lazily. Schema-driven parsing (the scoring server's casts) lives in
``enforce_serving``; enforcement in ``enforce``.

Guards MLflow lacks (security.md §5):

* CSV: explicit encoding (UTF-8 first; a failure names line and column and offers a Latin-1
  retry); the BOM is dropped; short rows, long rows and unterminated quotes are reported per row
  (pandas pads short rows silently and stops at the first long row); NUL bytes and fields over the
  stdlib's 128 KiB limit are read.
* JSON: duplicate keys are errors, bare ``NaN``/``Infinity`` are located and reported (MLflow's
  server accepts them, so they are warnings), nesting deeper than the recursion limit and integers
  longer than Python's 4300-digit limit give a clean error with a position.

pandas and pyarrow are imported lazily.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InputReadError
from mlmanager.core.inputs.problems import Problem, show_value

MAX_INPUT_BYTES = 1 << 30  # 1 GiB: refuse bigger inputs before reading them into memory
CSV_FIELD_LIMIT = 1 << 30  # the stdlib default (128 KiB) rejects legitimate long text fields
MAX_REPORTED_READ_PROBLEMS = 50

# The scoring server's JSON protocol (mlflow.pyfunc.scoring_server)
DF_SPLIT = "dataframe_split"
DF_RECORDS = "dataframe_records"
INSTANCES = "instances"
INPUTS = "inputs"
SUPPORTED_FORMATS = (DF_RECORDS, DF_SPLIT, INSTANCES, INPUTS)
PARAMS_KEY = "params"
LLM_KEYS = ("messages", "prompt", "input")

PARQUET_HINT = "reading Parquet needs pyarrow: pip install mlmanager[parquet]"


# ---------------------------------------------------------------------------------------------
# The raw input


@dataclass
class RawInput:
    """A model input as read from a file (or given in memory), before any schema is applied.

    ``source``: ``csv`` | ``parquet`` | ``json:dataframe_split`` | ``json:dataframe_records`` |
    ``json:instances`` | ``json:inputs`` | ``json:unified_llm`` | ``json:ambiguous`` (two input
    fields) | ``json:example_split`` (an ``input_example.json`` DataFrame, no wrapper) |
    ``json:example_ndarray`` (a top-level list) | ``json:example_object`` | ``object`` (in memory).

    ``kind``: ``dataframe`` | ``tensor`` (one array) | ``tensors`` (named arrays) | ``object``.
    ``params``: the request's ``params`` value as sent (None when absent).
    ``problems``: read problems (errors and warnings), each with a row/line when known.
    """

    source: str
    kind: str
    params: Any = None
    problems: list[Problem] = field(default_factory=list)
    path: str | None = None
    encoding: str | None = None
    text: str | None = None  # CSV: the decoded text
    document: Any = None  # JSON: the decoded document
    n_rows: int | None = None  # CSV: data rows (blank lines skipped), bad ones included
    header: list[str] | None = None  # CSV header as written
    obj: Any = None  # in-memory input / Parquet frame
    bad_lines: list[tuple[int, int]] = field(default_factory=list)  # CSV: 1-based line ranges left out
    kept_rows: list[int] | None = None  # CSV: data-row number of each frame row (None: identity)
    #: values derived from the input, computed once (``serving.schemaless_value``)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _clean_text: str | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def is_json(self) -> bool:
        return self.source.startswith("json:")

    @property
    def json_form(self) -> str | None:
        return self.source[5:] if self.is_json else None

    @property
    def input_value(self) -> Any:
        """JSON: the value under the input key (or the whole document for example forms)."""
        if not self.is_json:
            return None
        form = self.json_form
        if form in SUPPORTED_FORMATS:
            return self.document[form]
        return self.document

    def frame_text(self) -> str:
        """CSV text with the unreadable records (long rows, unterminated quotes) left out."""
        assert self.text is not None
        if not self.bad_lines:
            return self.text
        if self._clean_text is None:
            lines = io.StringIO(self.text, newline="").readlines()
            drop = set()
            for start, end in self.bad_lines:
                drop.update(range(start, end + 1))
            self._clean_text = "".join(line for i, line in enumerate(lines, 1) if i not in drop)
        return self._clean_text

    def read_csv(self, **kwargs: Any) -> Any:
        """``pd.read_csv`` over the (cleaned) text with the given options."""
        import pandas as pd

        return pd.read_csv(io.StringIO(self.frame_text()), **kwargs)

    def source_row(self, frame_row: int) -> int:
        """The data-row number in the file of a frame row (they differ when rows were left out)."""
        if self.kept_rows is None or frame_row >= len(self.kept_rows):
            return frame_row
        return self.kept_rows[frame_row]


# ---------------------------------------------------------------------------------------------
# Entry points


def read_input(
    source: str | Path | bytes,
    *,
    fmt: str | None = None,
    encoding: str = "utf-8",
    max_bytes: int = MAX_INPUT_BYTES,
) -> RawInput:
    """Read a CSV, JSON or Parquet input from a path or bytes.

    ``fmt`` (csv | json | parquet) defaults to the file extension, else the content is sniffed.
    Raises :class:`InputReadError` when the file cannot be read at all; per-row problems are kept in
    ``RawInput.problems`` instead.
    """
    path: str | None = None
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        p = Path(source)
        path = str(p)
        try:
            size = p.stat().st_size
            if not p.is_file():
                raise InputReadError("not a regular file", path, kind="not_a_file")
            if size > max_bytes:
                raise InputReadError(
                    f"input is {size} bytes, more than the {max_bytes}-byte limit",
                    path,
                    kind="too_large",
                )
            data = p.read_bytes()
        except OSError as exc:
            raise InputReadError(f"cannot read the input: {exc.strerror or exc}", path) from None
    if len(data) > max_bytes:
        raise InputReadError(f"input is more than the {max_bytes}-byte limit", path, kind="too_large")
    fmt = (fmt or _format_from_name(path) or _sniff_format(data)).lower()
    if fmt == "csv":
        return read_csv_input(data, encoding=encoding, path=path)
    if fmt == "json":
        return read_json_input(data, encoding=encoding, path=path)
    if fmt == "parquet":
        return read_parquet_input(data, path=path)
    raise InputReadError(f"unknown input format {fmt!r}; use csv, json or parquet", path)


def _format_from_name(path: str | None) -> str | None:
    if not path:
        return None
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".tsv": None, ".json": "json", ".parquet": "parquet", ".pq": "parquet"}.get(
        suffix
    )


def _sniff_format(data: bytes) -> str:
    if data[:4] == b"PAR1":
        return "parquet"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json"
    return "csv"


def input_from_object(obj: Any, params: Any = None) -> RawInput:
    """Wrap an in-memory input (DataFrame, ndarray, dict, list, scalar) given to ``predict``."""
    kind = "object"
    tname = type(obj).__name__
    if tname == "DataFrame" or tname == "Series":
        kind = "dataframe"
    elif tname == "ndarray" or tname in ("csr_matrix", "csc_matrix"):
        kind = "tensor"
    elif isinstance(obj, dict) and obj and all(type(v).__name__ == "ndarray" for v in obj.values()):
        kind = "tensors"
    return RawInput(source="object", kind=kind, params=params, obj=obj)


# ---------------------------------------------------------------------------------------------
# Text decoding


def decode_text(data: bytes, encoding: str = "utf-8", path: str | None = None) -> str:
    """Decode strictly; a failure names line and column and, for UTF-8, offers a Latin-1 retry."""
    enc = encoding.lower().replace("_", "-")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and not enc.startswith("utf-16"):
        raise InputReadError(
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8 or "
            "retry with encoding='utf-16'",
            path,
            kind="encoding_error",
            line=1,
            column=1,
            retry_encoding="utf-16",
        )
    codec = "utf-8-sig" if enc in ("utf-8", "utf8", "utf-8-sig") else encoding
    try:
        return data.decode(codec)
    except LookupError:
        raise InputReadError(f"unknown encoding {encoding!r}", path, kind="encoding_error") from None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        retry = "latin-1" if codec == "utf-8-sig" else None
        hint = (
            "; the file is probably Latin-1/Windows-1252 (saved by Excel or an older tool): "
            "retry with encoding='latin-1'"
            if retry
            else ""
        )
        raise InputReadError(
            f"not valid {encoding}: byte 0x{data[exc.start]:02x} at line {line}, column {col}{hint}",
            path,
            kind="encoding_error",
            line=line,
            column=col,
            retry_encoding=retry,
        ) from None


# ---------------------------------------------------------------------------------------------
# CSV


def read_csv_input(
    data: bytes | str, *, encoding: str = "utf-8", path: str | None = None
) -> RawInput:
    """Read CSV text, checking every record's field count against the header."""
    text = data if isinstance(data, str) else decode_text(data, encoding, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputReadError("the CSV input is empty", path, kind="empty")
    scan = scan_csv(text)
    if scan.header is None:
        raise InputReadError("the CSV input has no header row", path, kind="empty")
    raw = RawInput(
        source="csv",
        kind="dataframe",
        path=path,
        encoding=encoding,
        text=text,
        n_rows=scan.n_rows,
        header=scan.header,
        problems=scan.problems,
        bad_lines=scan.bad_lines,
    )
    if scan.bad_rows:
        bad = set(scan.bad_rows)
        raw.kept_rows = [r for r in range(scan.n_rows) if r not in bad]
    return raw


@dataclass
class CsvScan:
    header: list[str] | None = None
    n_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_lines: list[tuple[int, int]] = field(default_factory=list)
    bad_rows: list[int] = field(default_factory=list)


def scan_csv(text: str) -> CsvScan:
    """Check the structure of CSV text with the stdlib reader (C speed), one record at a time.

    Records are numbered like pandas numbers rows: 0-based, header and blank lines excluded.
    Short rows are kept (pandas pads them with NaN) but reported; long rows and an unterminated
    quote are reported and left out of the frame (pandas would refuse the whole file).
    """
    fast = _fast_scan(text)
    if fast is not None:
        return fast
    scan = CsvScan()
    old_limit = csv.field_size_limit()
    csv.field_size_limit(CSV_FIELD_LIMIT)
    counts: dict[str, int] = {}
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        prev = 0
        n_cols = 0
        last: tuple[int, int, list[str]] | None = None
        for fields in reader:
            start, end = prev + 1, reader.line_num
            prev = end
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line: pandas skips it
            last = (start, end, fields)
            if scan.header is None:
                scan.header = fields
                n_cols = len(fields)
                continue
            row = scan.n_rows
            scan.n_rows += 1
            if len(fields) < n_cols:
                counts["short"] = counts.get("short", 0) + 1
                _add_limited(
                    scan.problems,
                    counts["short"],
                    Problem(
                        kind="short_row",
                        message=(
                            f"row {row} (line {start}) has {len(fields)} field(s) but the header has "
                            f"{n_cols}; pandas would silently fill the missing ones with NaN"
                        ),
                        rows=[row],
                        expected=f"{n_cols} fields",
                        found=f"{len(fields)} fields",
                        fix="add the missing values (or empty fields) so every row has one value per header column",
                        stage="read",
                        target="input",
                        line=start,
                    ),
                )
            elif len(fields) > n_cols:
                counts["long"] = counts.get("long", 0) + 1
                scan.bad_rows.append(row)
                scan.bad_lines.append((start, end))
                _add_limited(
                    scan.problems,
                    counts["long"],
                    Problem(
                        kind="long_row",
                        message=(
                            f"row {row} (line {start}) has {len(fields)} fields but the header has "
                            f"{n_cols} (pandas: 'Error tokenizing data. C error: Expected {n_cols} "
                            f"fields in line {start}, saw {len(fields)}')"
                        ),
                        rows=[row],
                        values=[show_value(",".join(fields[n_cols:]))],
                        expected=f"{n_cols} fields",
                        found=f"{len(fields)} fields",
                        fix="remove the extra values or quote fields that contain commas",
                        stage="read",
                        target="input",
                        line=start,
                    ),
                )
        if last is not None:
            _check_unterminated_quote(text, last, scan)
    finally:
        csv.field_size_limit(old_limit)
    for kind, n in counts.items():
        if n > MAX_REPORTED_READ_PROBLEMS:
            scan.problems.append(
                Problem(
                    kind=f"{kind}_row",
                    message=f"... and {n - MAX_REPORTED_READ_PROBLEMS} more {kind} rows",
                    stage="read",
                    target="input",
                )
            )
    if scan.header is not None:
        _check_header(scan)
    return scan


def _fast_scan(text: str) -> CsvScan | None:
    """Quote-free text (most numeric CSVs): count commas per line at C speed. Returns None when
    the text has quotes or any row looks wrong, so the full record-by-record scan runs."""
    if '"' in text:
        return None
    import numpy as np

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    counts = np.fromiter(map(str.count, lines, itertools.repeat(",")), dtype=np.int64, count=len(lines))
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        return None
    n_commas = int(counts[header_at])
    body = counts[header_at + 1 :]
    odd = np.flatnonzero(body != n_commas)
    for i in odd.tolist():
        if body[i] or lines[header_at + 1 + i].strip():
            return None  # a short or long row: let the full scan locate and describe it
    if n_commas:
        n_rows = len(body) - len(odd)
    else:
        n_rows = sum(1 for line in lines[header_at + 1 :] if line.strip())
    scan = CsvScan(header=lines[header_at].split(","), n_rows=n_rows)
    _check_header(scan)
    return scan


def _add_limited(problems: list[Problem], count: int, problem: Problem) -> None:
    if count <= MAX_REPORTED_READ_PROBLEMS:
        problems.append(problem)


def _check_unterminated_quote(text: str, last: tuple[int, int, list[str]], scan: CsvScan) -> None:
    """The non-strict reader lets an open quote swallow the rest of the file; re-read that record
    strictly to tell a legitimate multi-line field from an unterminated quote."""
    start, end, fields = last
    tail = _tail(text, start)
    if '"' not in tail:
        return
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc) and "EOF" not in str(exc):
            return
        is_header = scan.header is fields and scan.n_rows == 0
        row = None if is_header else scan.n_rows - 1
        if row is not None:
            scan.bad_rows.append(row)
            if scan.problems and scan.problems[-1].kind == "long_row" and scan.problems[-1].rows == [row]:
                scan.problems.pop()
                scan.bad_lines.pop()
        scan.bad_lines.append((start, end))
        where = "the header" if is_header else f"row {row}"
        scan.problems.append(
            Problem(
                kind="unterminated_quote",
                message=(
                    f"{where} (line {start}) opens a quote that is never closed; everything up to "
                    f"the end of the file (line {end}) would be read as one field (pandas: 'EOF "
                    "inside string')"
                ),
                rows=[] if row is None else [row],
                fix=f'close the quote on line {start} (a literal quote inside a quoted field is written "")',
                stage="read",
                target="input",
                line=start,
            )
        )


def _tail(text: str, start_line: int) -> str:
    sio = io.StringIO(text, newline="")
    return "".join(itertools.islice(sio, start_line - 1, None))


def _check_header(scan: CsvScan) -> None:
    assert scan.header is not None
    seen: dict[str, int] = {}
    for i, name in enumerate(scan.header):
        if name in seen:
            scan.problems.append(
                Problem(
                    kind="duplicate_column",
                    message=(
                        f"the header names column {name!r} twice (positions {seen[name]} and {i}); "
                        f"pandas renames the second one to '{name}.1'"
                    ),
                    column=name,
                    fix=f"rename or remove one of the two {name!r} columns",
                    stage="read",
                    severity="warning",
                    target="column",
                    line=1,
                )
            )
        else:
            seen[name] = i
        if name.strip() != name and name.strip():
            scan.problems.append(
                Problem(
                    kind="header_whitespace",
                    message=f"header {name!r} has leading or trailing spaces, which are part of the column name",
                    column=name,
                    fix=f"rename {name!r} to {name.strip()!r}",
                    stage="read",
                    severity="warning",
                    target="column",
                    line=1,
                )
            )


# ---------------------------------------------------------------------------------------------
# JSON


def read_json_input(
    data: bytes | str, *, encoding: str = "utf-8", path: str | None = None
) -> RawInput:
    """Read a JSON input in any form the scoring server or an ``input_example.json`` uses."""
    text = data if isinstance(data, str) else decode_text(data, encoding, path)
    document, problems = loads_json_strict(text, path)
    source, kind = classify_json(document)
    params = document.get(PARAMS_KEY) if isinstance(document, dict) else None
    return RawInput(
        source=source,
        kind=kind,
        params=params,
        problems=problems,
        path=path,
        encoding=encoding,
        document=document,
    )


def classify_json(document: Any) -> tuple[str, str]:
    """``(source, kind)`` of a decoded JSON input (see :class:`RawInput`)."""
    if isinstance(document, dict):
        keys = [k for k in document if k in SUPPORTED_FORMATS]
        if len(keys) > 1:
            return "json:ambiguous", "object"
        if len(keys) == 1:
            key = keys[0]
            value = document[key]
            if key in (DF_SPLIT, DF_RECORDS):
                return f"json:{key}", "dataframe"
            return f"json:{key}", _kind_of_value(value)
        if any(k in document for k in LLM_KEYS):
            return "json:unified_llm", "object"
        if "data" in document and set(document) <= {"columns", "data", "index"}:
            return "json:example_split", "dataframe"
        return "json:example_object", _kind_of_value(document)
    if isinstance(document, list):
        return "json:example_ndarray", _kind_of_value(document)
    return "json:example_object", "object"


def _kind_of_value(value: Any) -> str:
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "dataframe"
        return "tensor"
    if isinstance(value, dict):
        if value and all(isinstance(v, list) for v in value.values()):
            return "tensors"
        return "object"
    return "object"


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)|(-?\d{4301,})')
_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*[\[\{]?\s*$')


def loads_json_strict(text: str, path: str | None = None) -> tuple[Any, list[Problem]]:
    """``json.loads`` with guards: duplicate keys are errors, NaN/Infinity are warnings (MLflow's
    ``json.loads`` accepts them), deep nesting and huge integers raise :class:`InputReadError`."""
    problems: list[Problem] = []
    constants: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        for key, value in pairs:
            if key in out:
                line = _line_of_duplicate(text, key)
                problems.append(
                    Problem(
                        kind="duplicate_key",
                        message=(
                            f"JSON object has the key {key!r} twice"
                            + (f" (second at line {line})" if line else "")
                            + "; MLflow silently keeps the last value"
                        ),
                        column=key,
                        fix=f"remove one of the two {key!r} entries",
                        stage="read",
                        target="input",
                        line=line,
                    )
                )
            out[key] = value
        return out

    def constant_hook(name: str) -> float:
        constants.append(name)
        return float(name.replace("Infinity", "inf"))

    try:
        document = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=constant_hook)
    except RecursionError:
        line, col = _deep_position(text)
        raise InputReadError(
            f"JSON nested too deeply (more than ~1000 levels, at line {line}, column {col}); "
            "no model input needs this",
            path,
            kind="json_too_deep",
            line=line,
            column=col,
        ) from None
    except json.JSONDecodeError as exc:
        raise InputReadError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            path,
            kind="json_error",
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except ValueError as exc:  # e.g. an integer longer than sys.get_int_max_str_digits()
        line, col, digits = _huge_int_position(text)
        msg = str(exc).split(";")[0]
        where = f" at line {line}, column {col}" if line else ""
        raise InputReadError(
            f"JSON number too long{where} ({digits} digits): {msg}",
            path,
            kind="json_number_too_long",
            line=line,
            column=col,
        ) from None
    if constants:
        problems.extend(_constant_problems(text))
    return document, problems


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _constant_problems(text: str) -> list[Problem]:
    out: list[Problem] = []
    total = 0
    for m in _JSON_TOKEN.finditer(text):
        if not m.group(1):
            continue
        total += 1
        if len(out) >= MAX_REPORTED_READ_PROBLEMS:
            continue
        line, col = _line_col(text, m.start(1))
        key_match = _KEY_BEFORE.search(text[max(0, m.start(1) - 200) : m.start(1)])
        near = f" (value of {key_match.group(1)!r})" if key_match else ""
        out.append(
            Problem(
                kind="json_nan",
                message=(
                    f"bare {m.group(1)} at line {line}, column {col}{near} is not valid JSON; "
                    "MLflow's server (Python json.loads) accepts it as a float, strict JSON "
                    "clients and parsers reject it"
                ),
                column=key_match.group(1) if key_match else None,
                values=[m.group(1)],
                fix="send null for a missing value (or a number)",
                stage="read",
                    severity="warning",
                target="input",
                line=line,
            )
        )
    if total > len(out):
        out.append(
            Problem(
                kind="json_nan",
                message=f"... and {total - len(out)} more bare NaN/Infinity values",
                stage="read",
                    severity="warning",
                target="input",
            )
        )
    return out


def _line_of_duplicate(text: str, key: str) -> int | None:
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    hits = [m.start() for m in itertools.islice(pattern.finditer(text), 0, 2)]
    if len(hits) < 2:
        return None
    return _line_col(text, hits[1])[0]


def _deep_position(text: str, limit: int = 1000) -> tuple[int, int]:
    depth = 0
    in_str = False
    escape = False
    for i, ch in enumerate(text):
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return _line_col(text, i)
        elif ch in "]}":
            depth -= 1
    return 1, 1


def _huge_int_position(text: str) -> tuple[int | None, int | None, int]:
    for m in _JSON_TOKEN.finditer(text):
        if m.group(2):
            line, col = _line_col(text, m.start(2))
            return line, col, len(m.group(2).lstrip("-"))
    return None, None, 0


# ---------------------------------------------------------------------------------------------
# Parquet


def read_parquet_input(data: bytes | str | Path, *, path: str | None = None) -> RawInput:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputReadError(PARQUET_HINT, path, kind="parquet_unavailable") from None
    import pandas as pd

    src: Any = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else str(data)
    try:
        frame = pd.read_parquet(src)
    except Exception as exc:
        raise InputReadError(
            f"cannot read the Parquet input: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            path,
            kind="parquet_error",
        ) from None
    return RawInput(source="parquet", kind="dataframe", path=path, obj=frame)
