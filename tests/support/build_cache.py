"""The factory's persistent cache: content keys, a per-entry file lock, atomic publishing.

Every entry (an author environment, a built model) is a folder named by a hash of everything that
went into it. It is built in a temporary sibling folder and renamed into place, so a folder under
its final name is always complete; a lock file serialises builders of the same entry across
processes (pytest-xdist workers, the CI prebuild and a developer's run).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CACHE_ENV_VAR = "MLMANAGER_TEST_CACHE"


def cache_root() -> Path:
    """`$MLMANAGER_TEST_CACHE`, else `~/.cache/mlmanager-tests` (outside the repository)."""
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "mlmanager-tests"


def content_key(parts: dict[str, object]) -> str:
    """A short, stable hash of a JSON-able description of an entry."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `lock_path` (blocking) for the duration of the block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_once(final: Path, build: Callable[[Path], None]) -> bool:
    """Make `final` exist: call `build(temp_folder)` and rename it into place, unless it exists.

    Returns True when this call built it. Leftovers of killed builds are removed first; a build
    that raises leaves nothing behind.
    """
    if final.is_dir():
        return False
    with locked(final.parent / ".locks" / f"{final.name}.lock"):
        if final.is_dir():  # another process built it while we waited
            return False
        for stale in final.parent.glob(f".{final.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        temp = final.parent / f".{final.name}.tmp-{os.getpid()}"
        temp.mkdir(parents=True)
        try:
            build(temp)
            os.rename(temp, final)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    return True


def remove_entry(final: Path) -> None:
    """Delete a published entry under its lock (so no builder sees it half-removed)."""
    with locked(final.parent / ".locks" / f"{final.name}.lock"):
        shutil.rmtree(final, ignore_errors=True)


def folder_size(folder: Path) -> int:
    """Bytes used by the files under `folder`, counting each hard-linked file once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        if (stat.st_dev, stat.st_ino) not in seen:
            seen.add((stat.st_dev, stat.st_ino))
            total += stat.st_size
    return total


def model_environments_cache() -> Path:
    """Where tests keep the environments mlmanager builds for the factory's models: under the
    cache root, keyed by the text of ``mlmanager/core/environments`` (the builder under test),
    so a warm run reuses them and any change to the builder builds them anew."""
    source = Path(__file__).resolve().parents[2] / "mlmanager" / "core" / "environments"
    texts = {path.name: path.read_text() for path in sorted(source.glob("*.py"))}
    return cache_root() / "model-envs" / content_key(texts)
