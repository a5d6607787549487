"""A fast reader for the plain YAML that MLflow writes, with ``yamlio`` as the fallback.

Scanning thousands of models means parsing thousands of ``MLmodel`` and ``meta.yaml`` files;
the C loader spends most of its time building Python nodes (~0.3-0.5 ms per file). MLflow
writes a tiny subset of YAML (``yaml.safe_dump``: block mappings and sequences, plain and
single-quoted scalars, ``[]``/``{}``), which a line-based reader handles several times faster.

Contract: :func:`parse_simple_yaml` returns ``None`` for anything outside a deliberately
conservative subset (non-ASCII, tabs, CR, comments, anchors, tags, flow collections, block
scalars, double-quoted escapes, timestamps, duplicate keys, odd indentation, ...). Whenever it
returns a value, that value equals what ``yamlio.load_yaml_text`` returns for the same text;
``tests/core/test_yamlfast.py`` checks this differentially (real files plus generated ones).
:func:`load_yaml_fast` is the drop-in replacement for ``yamlio.load_yaml_bytes``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mlmanager.core.errors import YamlError
from mlmanager.core.model import yamlio

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT = _Loader.yaml_implicit_resolvers  # first char -> [(tag, regexp)], as the loader has
_WILDCARD = _IMPLICIT.get(None, [])
_RESOLVERS = {c: tuple(rs) + tuple(_WILDCARD) for c, rs in _IMPLICIT.items() if c is not None}
_WILD_ONLY = tuple(_WILDCARD)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_BUILDERS = {
    "tag:yaml.org,2002:null": _CONSTRUCTOR.construct_yaml_null,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
}  # anything else (timestamp, value, merge) -> fall back

_ALLOWED_BYTES = bytes(range(0x20, 0x7F)) + b"\n"  # printable ASCII and LF, nothing else
# one tuple per line: (indent, key, dash, rest); a key needs ": " or ":" at the end of the line
_LINE = re.compile(
    r"^( *)(?:([A-Za-z_][A-Za-z0-9_.\-]{0,127}):(?: +|$)|(-)(?: +|$))?(.*[^ \n])?", re.M
)  # the rest of the line comes without trailing spaces
# a plain scalar we accept: no indicator first, no "#" anywhere, ":" only before a non-space
_PLAIN = re.compile(r"(?:[A-Za-z0-9_./+~()=$^;<\\]|-(?=[^ ]))(?:[^#:]|:(?=[^ ]))*")
_SQ_BODY = re.compile(r"(?:[^']|'')*")
_SQ_LINE = re.compile(r"'((?:[^']|'')*)'")
_DQ_LINE = re.compile(r'"([^"\\]*)"')
MAX_SIMPLE_DEPTH = 32
_CACHE_MAX = 4096
_MISSING = object()
_plain_cache: dict[str, Any] = {}  # plain scalar text -> its value (str/None/bool/int/float)
_key_cache: dict[str, bool] = {}  # key text -> resolves to a str


class _Unsupported(Exception):
    """The text is outside the simple subset; let the full loader decide."""


def _resolve_plain(value: str) -> Any:
    """Resolve a plain scalar exactly as the loader would (str, null, bool, int or float)."""
    for tag, regexp in _RESOLVERS.get(value[0], _WILD_ONLY):
        if regexp.match(value):
            build = _BUILDERS.get(tag)
            if build is None:
                raise _Unsupported
            return build(yaml.ScalarNode(tag, value))
    return value


def _key_is_str(key: str) -> bool:
    ok = _key_cache.get(key)
    if ok is None:
        ok = not any(rx.match(key) for _t, rx in _RESOLVERS.get(key[0], _WILD_ONLY))
        if len(_key_cache) >= _CACHE_MAX:
            _key_cache.clear()
        _key_cache[key] = ok
    return ok


def _scalar(rest: str) -> Any:
    """A one-line scalar (``rest`` has no trailing spaces); raises _Unsupported otherwise."""
    value = _plain_cache.get(rest, _MISSING)
    return _scalar_uncached(rest) if value is _MISSING else value


def _scalar_uncached(rest: str) -> Any:
    c = rest[0]
    if c == "'":
        m = _SQ_LINE.fullmatch(rest)
        if m is None:
            raise _Unsupported
        return m.group(1).replace("''", "'")
    if c == '"':
        m = _DQ_LINE.fullmatch(rest)
        if m is None:
            raise _Unsupported
        return m.group(1)
    if rest == "[]":
        return []
    if rest == "{}":
        return {}
    resolvers = _RESOLVERS.get(c)
    if c in "123456789" and rest.isdigit():
        value: Any = int(rest)  # what YAML 1.1's int resolver + constructor give for [1-9][0-9]*
    elif _PLAIN.fullmatch(rest) is None:
        raise _Unsupported
    elif resolvers is None and not _WILD_ONLY:
        value = rest  # no implicit resolver starts with this character: a string
    else:
        value = _resolve_plain(rest)
    if len(rest) <= 64:
        if len(_plain_cache) >= _CACHE_MAX:
            _plain_cache.clear()  # crude, but keeps frequent values cached on long scans
        _plain_cache[rest] = value
    return value


def _multiline_single_quoted(rest: str, lines: list[str], i: int, indent: int) -> tuple[str, int]:
    """A single-quoted scalar folded over lines (as ``yaml.safe_dump`` writes long strings).

    ``rest`` is the start on line ``i``; returns the value and the index of its last line.
    Folding as YAML: one line break -> a space, k > 1 breaks -> k - 1 newlines, spaces around
    breaks dropped. Continuation lines must be indented deeper than ``indent``.
    """
    m = _SQ_BODY.match(rest, 1)
    if m.end() < len(rest):
        raise _Unsupported  # closed on the first line, then something else follows
    chunks = [m.group(0).rstrip(" ").replace("''", "'")]
    breaks = 0
    j = i + 1
    while j < len(lines):
        raw = lines[j]
        seg = raw.lstrip(" ")
        if not seg:
            breaks += 1
            j += 1
            continue
        if len(raw) - len(seg) <= indent:
            raise _Unsupported
        chunks.append("\n" * breaks if breaks else " ")
        breaks = 0
        m = _SQ_BODY.match(seg)
        end = m.end()
        if end < len(seg):  # the closing quote
            if seg[end + 1 :].strip(" "):
                raise _Unsupported
            chunks.append(m.group(0).replace("''", "'"))
            return "".join(chunks), j
        chunks.append(seg.rstrip(" ").replace("''", "'"))
        j += 1
    raise _Unsupported  # unterminated


def _parse(text: str) -> dict:
    """Block mappings/sequences by indentation, one flat loop (this is the hot path)."""
    toks = _LINE.findall(text)
    if len(toks) != text.count("\n") + 1:  # one tuple per line, so indices match split()
        raise _Unsupported
    root: dict = {}
    # stack of open containers: (indent, container, is_sequence)
    stack: list[tuple[int, Any, bool]] = [(0, root, False)]
    top_ind, top, top_seq = 0, root, False
    pending: tuple[dict, str, int] | None = None  # a "key:" waiting for a nested block
    lines: list[str] | None = None
    key_get = _key_cache.get
    plain_get = _plain_cache.get
    missing = _MISSING
    sq_line = _SQ_LINE.fullmatch
    skip_to = -1  # last line consumed by a multi-line scalar
    for i, (ind_s, key, dash, rest) in enumerate(toks):
        if i <= skip_to or not (key or dash or rest):
            continue  # a continuation line, or a blank line
        ind = len(ind_s)
        if pending is not None:
            pmap, pkey, pind = pending
            pending = None
            if dash and ind >= pind:
                new: Any = []
                pmap[pkey] = new
                stack.append((ind, new, True))
            elif ind > pind:
                if not key:
                    raise _Unsupported
                new = {}
                pmap[pkey] = new
                stack.append((ind, new, False))
            if len(stack) > MAX_SIMPLE_DEPTH:
                raise _Unsupported
            top_ind, top, top_seq = stack[-1]
        if ind != top_ind or top_seq:
            while ind < top_ind or (top_seq and ind == top_ind and not dash):
                stack.pop()
                if not stack:
                    raise _Unsupported
                top_ind, top, top_seq = stack[-1]
            if ind != top_ind:
                raise _Unsupported  # deeper than any open block: a continuation or an error
        if top_seq:
            if not rest or rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                raise _Unsupported  # empty item or a nested sequence
        else:
            if not key or key in top:
                raise _Unsupported
            ok = key_get(key)
            if not (ok or (ok is None and _key_is_str(key))):
                raise _Unsupported
            if not rest:
                top[key] = None
                pending = (top, key, ind)
                continue
        value = plain_get(rest, missing)
        if value is missing:
            if rest[0] == "'":
                m = sq_line(rest)
                if m is not None:
                    value = m.group(1).replace("''", "'")
                else:
                    if lines is None:
                        lines = text.split("\n")
                    value, skip_to = _multiline_single_quoted(rest, lines, i, ind)
            else:
                value = _scalar_uncached(rest)
        if top_seq:
            top.append(value)
        else:
            top[key] = value
    return root


def _parse_any(text: str) -> dict | None:
    try:
        value = _parse(text)
    except (_Unsupported, yaml.YAMLError, ValueError, RecursionError):
        return None
    return value or None


def parse_simple_yaml(text: str) -> dict | None:
    """Parse a document in the simple subset (a non-empty top-level mapping), else ``None``."""
    if not text or not text.isascii() or text.encode().translate(None, _ALLOWED_BYTES):
        return None
    return _parse_any(text)


def load_yaml_fast(
    data: bytes, path: str | Path | None = None, *, max_bytes: int = yamlio.MAX_YAML_BYTES
) -> Any:
    """Same result and errors as ``yamlio.load_yaml_bytes``, faster for MLflow-written files.

    One difference: constructor errors that yamlio lets through (``ValueError`` for an
    impossible date such as ``2024-13-45``, a bad ``!!int``) become :class:`YamlError` here.
    """
    if data and len(data) <= max_bytes and not data.translate(None, _ALLOWED_BYTES):
        value = _parse_any(data.decode("ascii"))
        if value is not None:
            return value
    try:
        return yamlio.load_yaml_bytes(data, path, max_bytes=max_bytes)
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, YamlError):  # pragma: no cover - YamlError is no ValueError today
            raise
        raise YamlError(f"invalid YAML value: {exc}", path) from None
