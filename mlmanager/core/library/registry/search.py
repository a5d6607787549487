"""MLflow's search grammar for registries, evaluated locally (file store and SQLite sources).

``name LIKE 'churn%' AND tags.team = 'risk'``: clauses joined by ``AND`` (MLflow has no ``OR``);
keys ``name`` (or ``attributes.name``) and ``tags.<key>`` (backticks or quotes around keys with
dots or spaces); comparators ``=``, ``!=``, ``LIKE``, ``ILIKE`` and, for versions, ``IN`` /
``NOT IN`` on ``name`` and ``run_id``, and ``=``/``!=``/``<``/``<=``/``>``/``>=`` on
``version_number``; values in single or double quotes. ``LIKE`` is case-sensitive with ``%`` and
``_`` wildcards, ``ILIKE`` is not, as in MLflow's file store. A tag a model does not have matches
nothing (not even ``!=``). Servers evaluate the same text themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mlmanager.core.errors import InvalidError
from mlmanager.core.library.registry.entities import ModelVersion, RegisteredModel

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
      | (?P<op>!=|<>|<=|>=|=|<|>)
      | (?P<paren>[(),])
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>(?:[A-Za-z_][\w]*|`[^`]*`)(?:\.(?:[\w.\-]+|`[^`]*`|"[^"]*"|'[^']*'))?)
    )""",
    re.VERBOSE,
)
_MODEL_ATTRIBUTES = frozenset({"name"})
_VERSION_ATTRIBUTES = frozenset({"name", "version_number", "run_id", "source_path"})
_NUMERIC = frozenset({"version_number", "creation_timestamp", "last_updated_timestamp"})
_LIST_KEYS = frozenset({"name", "run_id"})


class FilterError(InvalidError):
    """A filter that MLflow's grammar does not accept."""


@dataclass(frozen=True, slots=True)
class Clause:
    kind: str  # "attribute" | "tag"
    key: str
    comparator: str
    value: str | int | tuple[str, ...]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        inner = text[1:-1]
        if text[0] == "'":
            inner = inner.replace("''", "'")
        return re.sub(r"\\(.)", r"\1", inner)
    return text


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"cannot read the filter at {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_filter(text: str | None, *, versions: bool = False) -> list[Clause]:
    """Parse a filter into clauses (all must hold); ``[]`` for an empty filter."""
    if not text or not text.strip():
        return []
    tokens = _tokens(text)
    clauses: list[Clause] = []
    i = 0
    n = len(tokens)

    def need(what: str) -> tuple[str, str]:
        if i >= n:
            raise FilterError(f"the filter ends where {what} was expected: {text!r}")
        return tokens[i]

    while True:
        kind, word = need("a key such as name or tags.team")
        if kind != "word":
            raise FilterError(f"expected a key such as name or tags.team, got {word!r}")
        clause_kind, key = _key(word, versions)
        i += 1
        kind, op = need("a comparator")
        comparator = op.upper()
        if kind == "word" and comparator == "NOT":
            i += 1
            kind, op2 = need("IN")
            comparator = "NOT " + op2.upper()
        if comparator == "<>":
            comparator = "!="
        i += 1
        value: str | int | tuple[str, ...]
        if comparator in ("IN", "NOT IN"):
            if clause_kind != "attribute" or key not in _LIST_KEYS or not versions:
                raise FilterError(f"{comparator} is only supported on name and run_id of versions")
            value, i = _list_value(tokens, i, text)
        else:
            allowed = _comparators(clause_kind, key)
            if comparator not in allowed:
                raise FilterError(
                    f"{comparator!r} cannot compare {key!r}; use one of {', '.join(sorted(allowed))}"
                )
            kind, raw = need("a value")
            i += 1
            if key in _NUMERIC and clause_kind == "attribute":
                if kind == "string":
                    raw = _unquote(raw)
                try:
                    value = int(raw)
                except ValueError:
                    raise FilterError(f"{key} needs a whole number, got {raw!r}") from None
            elif kind == "string":
                value = _unquote(raw)
            else:
                raise FilterError(f"put the value in quotes: {raw!r}")
        clauses.append(Clause(clause_kind, key, comparator, value))
        if i == n:
            return clauses
        kind, word = tokens[i]
        if kind != "word" or word.upper() != "AND":
            raise FilterError(f"clauses are joined with AND, got {word!r} (MLflow has no OR)")
        i += 1


def _key(word: str, versions: bool) -> tuple[str, str]:
    head, dot, rest = word.partition(".")
    head_l = head.lower()
    if dot and head_l in ("tag", "tags"):
        return "tag", _unquote(rest)
    if dot and head_l in ("attribute", "attributes", "attr"):
        word = _unquote(rest)
    elif dot:
        raise FilterError(f"unknown key {word!r}; use name or tags.<key>")
    name = _unquote(word)
    allowed = _VERSION_ATTRIBUTES if versions else _MODEL_ATTRIBUTES
    if name not in allowed:
        raise FilterError(f"unknown key {name!r}; use {', '.join(sorted(allowed))} or tags.<key>")
    return "attribute", name


def _comparators(kind: str, key: str) -> frozenset[str]:
    if kind == "attribute" and key in _NUMERIC:
        return frozenset({"=", "!=", "<", "<=", ">", ">="})
    return frozenset({"=", "!=", "LIKE", "ILIKE"})


def _list_value(tokens: list[tuple[str, str]], i: int, text: str) -> tuple[tuple[str, ...], int]:
    if i >= len(tokens) or tokens[i][1] != "(":
        raise FilterError(f"IN needs a list in parentheses: {text!r}")
    i += 1
    values: list[str] = []
    while i < len(tokens):
        kind, raw = tokens[i]
        if kind != "string":
            raise FilterError(f"IN lists hold quoted strings, got {raw!r}")
        values.append(_unquote(raw))
        i += 1
        if i < len(tokens) and tokens[i][1] == ",":
            i += 1
            continue
        if i < len(tokens) and tokens[i][1] == ")":
            return tuple(values), i + 1
        break
    raise FilterError(f"an IN list is not closed: {text!r}")


def _like(pattern: str, flags: int = 0) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(parts), flags | re.DOTALL)


def _compare(lhs: str | int | None, comparator: str, value: object) -> bool:
    if lhs is None:
        return False
    if comparator == "=":
        return lhs == value
    if comparator == "!=":
        return lhs != value
    if comparator == "LIKE":
        return _like(str(value)).fullmatch(str(lhs)) is not None
    if comparator == "ILIKE":
        return _like(str(value), re.IGNORECASE).fullmatch(str(lhs)) is not None
    if comparator == "IN":
        return lhs in value  # type: ignore[operator]
    if comparator == "NOT IN":
        return lhs not in value  # type: ignore[operator]
    assert isinstance(lhs, int) and isinstance(value, int)
    return {"<": lhs < value, "<=": lhs <= value, ">": lhs > value, ">=": lhs >= value}[comparator]


def model_matcher(text: str | None) -> Callable[[RegisteredModel], bool]:
    """A predicate for registered models from a filter (raises :class:`FilterError`)."""
    clauses = parse_filter(text)

    def match(model: RegisteredModel) -> bool:
        for c in clauses:
            lhs = model.tags.get(c.key) if c.kind == "tag" else model.name
            if not _compare(lhs, c.comparator, c.value):
                return False
        return True

    return match


def version_matcher(text: str | None) -> Callable[[ModelVersion], bool]:
    """A predicate for model versions from a filter (raises :class:`FilterError`)."""
    clauses = parse_filter(text, versions=True)

    def match(version: ModelVersion) -> bool:
        for c in clauses:
            lhs: str | int | None
            if c.kind == "tag":
                lhs = version.tags.get(c.key)
            elif c.key == "version_number":
                lhs = version.number
            elif c.key == "source_path":
                lhs = version.source
            else:
                lhs = getattr(version, c.key)
            if not _compare(lhs, c.comparator, c.value):
                return False
        return True

    return match


_LOOKS_LIKE_FILTER = re.compile(
    r"""^\s*(?:attributes\.)?(?:name|tags?\.(?:`[^`]*`|"[^"]*"|'[^']*'|[\w.\-]+))\s*
        (?:!=|<>|=|\bLIKE\b|\bILIKE\b)""",
    re.IGNORECASE | re.VERBOSE,
)


def looks_like_filter(text: str) -> bool:
    """Whether the text typed in a filter box is meant as MLflow's search grammar
    (``name LIKE 'churn%'``, ``tags.team = 'risk'``) rather than words to look for."""
    return bool(_LOOKS_LIKE_FILTER.match(text or ""))
