"""The trust store (files the user chose to trust, by SHA-256) and file hashing. Parent side.

The verdicts themselves (classes, :class:`SafetyReport`, the load decision) live in
:mod:`mlmanager.core.verdict`, a stdlib-only module the worker carries into the model's own
interpreter; they are re-exported here for the app's convenience.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.errors import ModelReadError, WriteError
from mlmanager.core.verdict import (
    CLASSIFICATIONS,
    CODE_GLOBALS,
    CONTAINS_CODE,
    DANGEROUS_GLOBALS,
    FORMATS,
    KNOWN_DANGEROUS,
    SAFE_LISTED,
    SHA256_RE,
    UNPARSEABLE,
    UNTRUSTED_IMPORTS,
    SafetyReport,
    classify_globals,
    classify_skops_types,
    is_dangerous_global,
    may_load,
    normalize_global,
)

__all__ = [
    "CLASSIFICATIONS", "CODE_GLOBALS", "CONTAINS_CODE", "DANGEROUS_GLOBALS", "FORMATS",
    "KNOWN_DANGEROUS", "SAFE_LISTED", "UNPARSEABLE", "UNTRUSTED_IMPORTS", "SafetyReport",
    "TrustStore", "classify_globals", "classify_skops_types", "is_dangerous_global", "may_load",
    "normalize_global", "sha256_file",
]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a regular file (symlinks, FIFOs and devices are refused)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ModelReadError(f"cannot open: {exc.strerror}", path) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ModelReadError("not a regular file", path)
        digest = hashlib.sha256()
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class TrustStore:
    """Files the user chose to trust, keyed by SHA-256, in a small JSON file (atomic writes)."""

    path: Path
    _entries: dict[str, dict[str, str]] = field(default_factory=dict, init=False, repr=False)

    MAX_BYTES = 16 << 20

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._entries = self._read()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ModelReadError(f"cannot read the trust store: {exc.strerror}", self.path) from None
        if not stat.S_ISREG(st.st_mode):
            raise ModelReadError("trust store is not a regular file", self.path)
        if st.st_size > self.MAX_BYTES:
            raise ModelReadError("trust store is too large", self.path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"), parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelReadError(f"trust store is not valid JSON: {exc}", self.path) from None
        trusted = data.get("trusted") if isinstance(data, dict) else None
        if not isinstance(trusted, dict):
            raise ModelReadError("trust store has no 'trusted' mapping", self.path)
        entries: dict[str, dict[str, str]] = {}
        for sha, info in trusted.items():
            if isinstance(sha, str) and SHA256_RE.match(sha) and isinstance(info, dict):
                entries[sha] = {k: str(v) for k, v in info.items() if isinstance(k, str)}
        return entries

    def reload(self) -> None:
        self._entries = self._read()

    def _merge_from_disk(self) -> None:
        """Another window or tab may have changed the file since: build on it, don't clobber it."""
        with contextlib.suppress(ModelReadError):  # an unreadable file is refused by _write
            self._entries = self._read()

    def is_trusted(self, sha: str) -> bool:
        return sha in self._entries

    def trusted_shas(self) -> frozenset[str]:
        return frozenset(self._entries)

    def entries(self) -> dict[str, dict[str, str]]:
        return {k: dict(v) for k, v in self._entries.items()}

    def trust(
        self, sha: str, path: str | Path = "", classification: str = "", date: str | None = None
    ) -> None:
        if not SHA256_RE.match(sha or ""):
            raise ValueError("sha must be 64 lowercase hex digits")
        self._merge_from_disk()
        self._entries[sha] = {
            "path": str(path),
            "classification": classification,
            "date": date or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        self._write()

    def revoke(self, sha: str) -> bool:
        self._merge_from_disk()
        existed = self._entries.pop(sha, None) is not None
        if existed:
            self._write()
        return existed

    def _write(self) -> None:
        if self.path.is_symlink():
            raise WriteError("refusing to write the trust store through a symlink", self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "trusted": self._entries}, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".trust-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise WriteError(f"cannot save the trust store: {exc.strerror}", self.path) from None
        try:  # make the rename durable
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")
