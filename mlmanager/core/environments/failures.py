"""Why a build failed, in plain words: the installer's output read for the cause that matters.

uv (and pip) say a lot when a resolution fails; a user needs one sentence naming the
requirement and the reason (no wheel for this Python, a package that does not exist, the
index unreachable, a conflict, the disk full) and the full log one step away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlmanager.core.errors import ModelReadError

#: failure kinds after which another strategy cannot help
FINAL_KINDS = frozenset({"not-found", "offline", "network", "disk-full", "cancelled",
                         "python-unavailable", "installer"})


class EnvironmentBuildError(ModelReadError):
    """An environment could not be built. ``kind`` is a machine name (see ``classify``),
    ``requirement`` the requirement at fault when known, ``log_path`` the full installer log,
    ``tried`` the strategies tried, in order, each with why it failed."""

    def __init__(self, message: str, *, kind: str = "installer", requirement: str | None = None,
                 log_path: str | None = None, tried: list[str] | None = None) -> None:
        self.kind = kind
        self.requirement = requirement
        self.log_path = log_path
        self.tried = list(tried or [])
        super().__init__(message)

    def __str__(self) -> str:
        text = self.message
        if len(self.tried) > 1:
            text += "\nTried:" + "".join(f"\n  - {t}" for t in self.tried)
        if self.log_path:
            text += f"\nFull log: {self.log_path}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "requirement": self.requirement,
                "log": self.log_path, "tried": self.tried}


class BuildCancelled(EnvironmentBuildError):
    def __init__(self, log_path: str | None = None) -> None:
        super().__init__("the build was cancelled; nothing was kept", kind="cancelled",
                         log_path=log_path)


@dataclass(frozen=True)
class Failure:
    """One failed installer run, classified."""

    kind: str  # not-found | no-wheel | published-after | offline | network | conflict |
    #            python-incompatible | build-failed | disk-full | installer
    message: str  # the reason, short: "no wheel of numpy==1.19.5 for Python 3.11.7"
    requirement: str | None = None
    published: str | None = None  # published-after: when the pinned version was published
    hint: str | None = None  # what the user can do

    @property
    def final(self) -> bool:
        return self.kind in FINAL_KINDS

    @property
    def text(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


_NOT_FOUND = re.compile(r"Because (\S+) was not found in the package registry")
_PIP_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_OFFLINE = re.compile(r"Because (\S+) was not found in the cache")
_NO_WHEEL = re.compile(r"(\S+) has no usable wheels")
_WHEELS_REQUIRED = re.compile(r"Wheels are required for `([^`]+)`|Building source distributions "
                              r"is disabled, but attempted to build `([^`]+)`")
_PUBLISHED = re.compile(
    r"`([^`]+)` was filtered by `exclude-newer`.*?The requested version, v?([^\s,]+), was "
    r"published at ([0-9T:.\-]+Z?)")
_PYTHON = re.compile(r"current Python version \(([^)]+)\) does not satisfy Python\s*([^\s,]+)")
_BUILD_FAILED = re.compile(r"Failed to (?:build|download and build|prepare distributions)[^`]*`([^`]+)`")
_NETWORK = ("error sending request", "dns error", "tcp connect error", "connection refused",
            "failed to fetch", "network is unreachable", "could not connect", "timed out",
            "temporary failure in name resolution")


def _first_cause(text: str) -> str:
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(("cause:", "╰─▶", "error:", "×")):
            s = s.split(":", 1)[1].strip() if s.startswith(("cause:", "error:")) else s[1:].strip()
            if s and not s.startswith("No solution found"):
                return s
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return lines[-1] if lines else "the installer failed without saying why"


_FETCH_URL = re.compile(r"Failed to fetch:? `?(\S+?)`?(?:\s|$)")


def _network_cause(text: str) -> str:
    """Which address failed and the innermost reason uv gives ("Connection refused (os error
    111)"), else its first line of cause."""
    url = _FETCH_URL.search(text)
    causes = [line.strip()[len("cause:"):].strip() for line in text.splitlines()
              if line.strip().startswith("cause:")]
    if url and causes:
        return f"{url.group(1)}: {causes[-1]}"
    return _first_cause(text)


def classify(text: str, python: str | None = None) -> Failure:
    """Read an installer's output (uv's, or pip's) for the reason it failed."""
    lines_text = text
    text = re.sub(r"\s+", " ", text)  # uv wraps long messages, even mid-sentence
    low = text.lower()
    py = f"Python {python}" if python else "this Python"
    if "no space left on device" in low or "os error 28" in low:
        return Failure("disk-full", "the disk is full (no space left on device)",
                       hint="free some space (for example `mlmanager env prune`) and build again")
    m = _NOT_FOUND.search(text) or _PIP_NOT_FOUND.search(text)
    if m:
        name = m.group(1)
        return Failure("not-found", f"the package {name} does not exist on the package index",
                       name, hint="check its spelling, or whether it comes from a private index")
    m = _OFFLINE.search(text)
    if m or ("network was disabled" in low and "not found in the cache" in low):
        name = m.group(1) if m else None
        what = name or "a package"
        return Failure("offline", f"{what} is not in uv's package cache, and the build is offline",
                       name, hint="build once while online, or drop --offline")
    m = _PUBLISHED.search(text)
    if m:
        return Failure("published-after", f"{m.group(1)}=={m.group(2)} was published at "
                       f"{m.group(3)}, after the model's date", f"{m.group(1)}=={m.group(2)}",
                       m.group(3))
    m = _PYTHON.search(text)
    if m:
        return Failure("python-incompatible", f"a requirement needs Python{m.group(2)}, and "
                       f"this environment has Python {m.group(1)}: {_first_cause(lines_text)}")
    m = _WHEELS_REQUIRED.search(text) or _NO_WHEEL.search(text)
    if m:
        req = next(g for g in m.groups() if g)
        m2 = _NO_WHEEL.search(text)
        pinned = m2.group(1) if m2 else req
        return Failure("no-wheel", f"no wheel of {pinned} for {py} on this platform", pinned,
                       hint="building from source is off (--allow-build allows it; it can "
                       "take minutes)")
    m = _BUILD_FAILED.search(text)
    if m:
        return Failure("build-failed", f"building {m.group(1)} from source failed", m.group(1))
    if any(s in low for s in _NETWORK):
        return Failure("network", f"the package index could not be reached ({_network_cause(lines_text)})",
                       hint="check the network, or build with --offline from uv's cache")
    if "no solution found" in low or "unsatisfiable" in low or "conflict" in low:
        return Failure("conflict", f"the requirements conflict: {_first_cause(lines_text)}")
    return Failure("installer", f"the installer failed: {_first_cause(lines_text)}")
