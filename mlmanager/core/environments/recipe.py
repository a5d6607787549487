"""The recipe of an environment: what goes in, normalised, and the key its cache folder is named by.

Two models whose recipes are equal share one environment. The key hashes the interpreter's
version, the normalised requirement set (build dependencies, requirements, constraints), the
strategy and what the strategy depends on (the model's date for a dated resolution, whether
source builds are allowed). How a strategy's retries moved things (a later date for a pin
published after the model) is recorded in the environment's metadata, not in the key: the key
must be known before the build.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from typing import Any

#: strategies, in the words the UI and CLI show
STRATEGY_LABELS = {
    "dated": "dated (as of the day the model was saved)",
    "other-python": "dated, on another Python (the nearest with wheels)",
    "as-written": "as written (as of today)",
}
#: source builds: none (wheels only), light (all but the heavy compiled packages), all
BUILD_MODES = ("none", "light", "all")
KEY_LENGTH = 16

_NAME_RE = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return _NAME_RE.sub("-", name).lower()


def normalise_requirement(line: str) -> str:
    """One requirement in a canonical spelling (``Scikit_Learn >= 1.0`` -> ``scikit-learn>=1.0``).

    Lines that are not PEP 508 requirements (URLs, options such as ``--extra-index-url``) are
    kept as written, whitespace-trimmed.
    """
    text = line.strip()
    if not text or text.startswith("-"):
        return text
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return text
    out = canonical_name(req.name)
    if req.extras:
        out += "[" + ",".join(sorted(canonical_name(e) for e in req.extras)) + "]"
    if req.url:
        out += f" @ {req.url}"
    elif req.specifier:
        out += ",".join(sorted(str(s) for s in req.specifier))
    if req.marker is not None:
        out += f"; {req.marker}"
    return out


def requirement_name(line: str) -> str | None:
    """The canonical project name of a requirement line, or None for options and URLs."""
    text = line.strip()
    if not text or text.startswith("-"):
        return None
    m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
    return canonical_name(m.group(0)) if m else None


def exact_pin(line: str) -> str | None:
    """The version of an exact ``name==version`` pin (no wildcard), else None."""
    m = re.match(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*([^\s,;*]+)\s*(;.*)?$", line)
    return m.group(2) if m else None


@dataclass(frozen=True)
class Recipe:
    """Everything that decides an environment's contents. Hashable; ``key`` names its folder."""

    python: str  # the interpreter's full version, e.g. "3.10.13"
    requirements: tuple[str, ...]
    build_dependencies: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    strategy: str = "dated"
    as_of: str | None = None  # the dated strategy's starting date (ISO, UTC)
    builds: str = "none"
    implementation: str = "cpython"

    @classmethod
    def create(
        cls,
        python: str,
        requirements: list[str] | tuple[str, ...],
        *,
        build_dependencies: list[str] | tuple[str, ...] = (),
        constraints: list[str] | tuple[str, ...] = (),
        strategy: str = "dated",
        as_of: str | None = None,
        builds: str = "none",
    ) -> Recipe:
        if strategy not in STRATEGY_LABELS:
            raise ValueError(f"unknown strategy {strategy!r}")
        if builds not in BUILD_MODES:
            raise ValueError(f"unknown build mode {builds!r}")

        def norm(lines: list[str] | tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted({n for n in (normalise_requirement(x) for x in lines) if n}))

        return cls(
            python=python,
            requirements=norm(requirements),
            build_dependencies=norm(build_dependencies),
            constraints=norm(constraints),
            strategy=strategy,
            as_of=as_of if strategy in ("dated", "other-python") else None,
            builds=builds,
        )

    @property
    def python_minor(self) -> str:
        return ".".join(self.python.split(".")[:2])

    @property
    def key(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:KEY_LENGTH]

    @property
    def name(self) -> str:
        """The cache folder's name: readable prefix + key."""
        return f"py{self.python_minor}-{self.key}"

    @property
    def label(self) -> str:
        text = STRATEGY_LABELS[self.strategy]
        if self.builds != "none":
            text += ", with source builds" if self.builds == "all" else ", with small source builds"
        return text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("requirements", "build_dependencies", "constraints"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recipe:
        return cls(
            python=str(d["python"]),
            requirements=tuple(str(x) for x in d.get("requirements") or ()),
            build_dependencies=tuple(str(x) for x in d.get("build_dependencies") or ()),
            constraints=tuple(str(x) for x in d.get("constraints") or ()),
            strategy=str(d.get("strategy") or "dated"),
            as_of=d.get("as_of"),
            builds=str(d.get("builds") or "none"),
            implementation=str(d.get("implementation") or "cpython"),
        )
