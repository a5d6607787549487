"""Requirement lines and the versions they pin (``name==1.2.3``), as the deployment rules and the
request builder read them from a model's requirements."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlmanager.core.environments.requirements import model_requirements
from mlmanager.core.errors import MlmanagerError

if TYPE_CHECKING:
    from mlmanager.core.model.mlmodel import ModelDocument

#: the pandas major a fresh serving environment gets when the model pins none (the latest)
LATEST_PANDAS_MAJOR = 3

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class RequirementLine:
    line: str
    name: str | None  # normalised distribution name, None for options/URLs
    pinned: str | None  # the version of an ``==`` pin


def parse_requirement_line(line: str) -> RequirementLine:
    text = line.strip()
    if not text or text.startswith("-") or "://" in text or text.startswith((".", "/")):
        return RequirementLine(text, None, None)
    m = _REQ_NAME.match(text)
    if not m:
        return RequirementLine(text, None, None)
    name = normalize_name(m.group(1))
    rest = text[m.end():]
    if rest.startswith("["):
        rest = rest[rest.find("]") + 1:] if "]" in rest else ""
    pin = re.match(r"\s*===?\s*([^\s,;]+)\s*(?:;.*)?$", rest)
    return RequirementLine(text, name, pin.group(1) if pin else None)


def version_tuple(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", value)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def pinned_version_of(lines: Iterable[RequirementLine], name: str) -> tuple[int, ...] | None:
    """The version ``name`` is pinned to (``==``) in ``lines``, None when it is not pinned."""
    key = normalize_name(name)
    req = next((r for r in lines if r.name == key), None)
    return version_tuple(req.pinned) if req is not None and req.pinned else None


def pandas_major_of(lines: Iterable[RequirementLine]) -> int:
    """The pandas major version a fresh serving environment gets (pinned, else the latest)."""
    pinned = pinned_version_of(lines, "pandas")
    return pinned[0] if pinned else LATEST_PANDAS_MAJOR


def model_pandas_major(doc: ModelDocument) -> int:
    """:func:`pandas_major_of` the model's requirements (the latest when they cannot be read)."""
    try:
        lines = model_requirements(doc).lines
    except MlmanagerError:
        return LATEST_PANDAS_MAJOR
    return pandas_major_of(parse_requirement_line(line) for line in lines)
