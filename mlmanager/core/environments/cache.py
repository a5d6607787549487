"""The environment cache: one folder per recipe under the user's cache folder, never half-built.

Layout under the root (``$XDG_CACHE_HOME/mlmanager/environments``, or ``MLMANAGER_ENV_CACHE``)::

    py3.10-<key>/            a ready environment (a virtual environment + environment.json)
    .tmp-<plan>-<key>-<rnd>/ a build in progress (or one that was killed: removed later)
    .trash-<name>-<rnd>/     an environment being removed
    .locks/<plan>.lock       held while a model's environment is built
    logs/<plan>.log          the installer's full log of the last build
    logs/<plan>.failed.json  why the last build failed (removed by a later success)

A folder with a readable ``environment.json`` is ready: a build writes it last, inside its
temporary folder, and renames the folder into place. Anything else (a ``.tmp-`` folder whose
lock nobody holds) is what a killed build left, and is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mlmanager.core.atomic import atomic_write
from mlmanager.core.environments.recipe import Recipe
from mlmanager.core.errors import InvalidError, MlmanagerError
from mlmanager.core.filelock import FileLock

METADATA = "environment.json"
METADATA_FORMAT = 1
ENV_VAR = "MLMANAGER_ENV_CACHE"
TMP_PREFIX = ".tmp-"
TRASH_PREFIX = ".trash-"


def default_cache_root() -> Path:
    """``$MLMANAGER_ENV_CACHE``, else ``$XDG_CACHE_HOME/mlmanager/environments`` (``~/.cache``
    when unset; ``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on macOS)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mlmanager" / "environments"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def env_python(path: Path) -> Path:
    """The interpreter inside a virtual environment folder."""
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically (temp + rename); WriteError on failure (e.g. the disk is full)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    atomic_write(path, text.encode("utf-8"), backup=False)


@dataclass
class Environment:
    """A ready environment in the cache, as its ``environment.json`` describes it."""

    name: str
    path: Path
    recipe: Recipe
    interpreter: dict[str, Any]  # base interpreter: version, executable, source, match, reason
    packages: dict[str, str]
    size_bytes: int
    created: str
    last_used: str
    models: list[str] = field(default_factory=list)
    resolution: dict[str, Any] = field(default_factory=dict)  # dated: the final date, pins, moves
    notes: list[str] = field(default_factory=list)
    installer: str = ""
    log: str | None = None
    state: str = "ready"

    @property
    def python(self) -> Path:
        """The environment's own interpreter (what a worker runs under)."""
        return env_python(self.path)

    @property
    def python_version(self) -> str:
        return str(self.interpreter.get("version") or self.recipe.python)

    @property
    def strategy(self) -> str:
        return self.recipe.strategy

    @property
    def strategy_label(self) -> str:
        return self.recipe.label

    @property
    def key(self) -> str:
        return self.recipe.key

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": METADATA_FORMAT,
            "name": self.name,
            "path": str(self.path),
            "python": str(self.python),
            "python_version": self.python_version,
            "state": self.state,
            "strategy": self.strategy,
            "strategy_label": self.strategy_label,
            "recipe": self.recipe.to_dict(),
            "interpreter": self.interpreter,
            "packages": dict(sorted(self.packages.items())),
            "size_bytes": self.size_bytes,
            "created": self.created,
            "last_used": self.last_used,
            "models": list(self.models),
            "resolution": self.resolution,
            "notes": list(self.notes),
            "installer": self.installer,
            "log": self.log,
        }

    @classmethod
    def from_dict(cls, path: Path, d: dict[str, Any]) -> Environment:
        return cls(
            name=path.name,
            path=path,
            recipe=Recipe.from_dict(d["recipe"]),
            interpreter=dict(d.get("interpreter") or {}),
            packages={str(k): str(v) for k, v in (d.get("packages") or {}).items()},
            size_bytes=int(d.get("size_bytes") or 0),
            created=str(d.get("created") or ""),
            last_used=str(d.get("last_used") or d.get("created") or ""),
            models=[str(m) for m in d.get("models") or []],
            resolution=dict(d.get("resolution") or {}),
            notes=[str(n) for n in d.get("notes") or []],
            installer=str(d.get("installer") or ""),
            log=d.get("log"),
        )


@dataclass
class PruneResult:
    removed: list[str]
    freed_bytes: int
    stale_removed: int


class EnvironmentCache:
    """The folder of environments. Cheap to create; touches the disk only when asked."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_root()

    # -- paths ---------------------------------------------------------------------------------
    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def lock(self, plan_name: str) -> FileLock:
        return FileLock(self.root / ".locks" / f"{plan_name}.lock")

    def log_path(self, plan_name: str) -> Path:
        return self.logs / f"{plan_name}.log"

    def failure_path(self, plan_name: str) -> Path:
        return self.logs / f"{plan_name}.failed.json"

    def ensure(self) -> None:
        for folder in (self.root, self.logs, self.root / ".locks"):
            folder.mkdir(parents=True, exist_ok=True)

    def new_temp(self, plan_name: str, recipe: Recipe) -> Path:
        self.ensure()
        return Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{plan_name}-{recipe.key}-", dir=self.root))

    # -- reading -------------------------------------------------------------------------------
    def get(self, name: str) -> Environment | None:
        """The ready environment in folder ``name`` (or None)."""
        if not name or name.startswith(".") or "/" in name or os.sep in name:
            return None
        path = self.root / name
        try:
            data = json.loads((path / METADATA).read_text("utf-8"))
            env = Environment.from_dict(path, data)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return env if env.name == name else None

    def get_recipe(self, recipe: Recipe) -> Environment | None:
        env = self.get(recipe.name)
        return env if env is not None and env.recipe == recipe else None

    def environments(self) -> list[Environment]:
        """Every ready environment, most recently used first."""
        if not self.root.is_dir():
            return []
        found = []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            env = self.get(entry.name)
            if env is not None:
                found.append(env)
        found.sort(key=lambda e: e.last_used, reverse=True)
        return found

    def find(self, name: str) -> Environment:
        """An environment by folder name or an unambiguous prefix of its name or key."""
        exact = self.get(name)
        if exact is not None:
            return exact
        matches = [e for e in self.environments()
                   if e.name.startswith(name) or e.key.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise InvalidError(f"no environment named {name!r} in {self.root}")
        raise InvalidError(f"{name!r} names {len(matches)} environments: "
                           + ", ".join(e.name for e in matches))

    def for_model(self, location: str) -> list[Environment]:
        """The ready environments built or used for the model at ``location``."""
        return [e for e in self.environments() if location in e.models]

    def building(self) -> list[str]:
        """Plan names being built right now (their lock is held)."""
        names = []
        for tmp in self._temps():
            plan = tmp.name[len(TMP_PREFIX):].rsplit("-", 2)[0]
            if plan not in names and self.lock(plan).is_locked_elsewhere():
                names.append(plan)
        return names

    def failure(self, plan_name: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.failure_path(plan_name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    # -- writing -------------------------------------------------------------------------------
    def write_metadata(self, path: Path, env: Environment) -> None:
        write_json(path / METADATA, env.to_dict())

    def touch(self, env: Environment, model: str | None = None) -> Environment:
        """Record a use of ``env`` (now, and by ``model``): 'last used' and 'models' stay true."""
        lock = FileLock(self.root / ".locks" / f"{env.name}.meta.lock")
        with lock:
            current = self.get(env.name) or env
            current.last_used = now_iso()
            if model and model not in current.models:
                current.models.append(model)
            self.write_metadata(current.path, current)
        return current

    def record_failure(self, plan_name: str, info: dict[str, Any]) -> None:
        with contextlib.suppress(OSError, MlmanagerError):
            self.ensure()
            write_json(self.failure_path(plan_name), dict(info, time=now_iso()))

    def clear_failure(self, plan_name: str) -> None:
        with contextlib.suppress(OSError):
            self.failure_path(plan_name).unlink()

    def remove(self, env: Environment) -> int:
        """Remove ``env`` (renamed away first, so it stops looking ready at once); bytes freed."""
        size = env.size_bytes
        trash = Path(tempfile.mkdtemp(prefix=f"{TRASH_PREFIX}{env.name}-", dir=self.root))
        os.replace(env.path, trash / "env")
        shutil.rmtree(trash, ignore_errors=True)
        return size

    def _temps(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return iter(())
        return (p for p in self.root.iterdir()
                if p.name.startswith((TMP_PREFIX, TRASH_PREFIX)) and p.is_dir())

    def clean_stale(self, plan_name: str | None = None) -> int:
        """Remove what killed builds left (temp folders whose plan lock nobody holds) and
        unfinished removals. With ``plan_name`` (whose lock the caller holds): that plan's only."""
        count = 0
        for tmp in list(self._temps()):
            if tmp.name.startswith(TRASH_PREFIX):
                if plan_name is None:
                    shutil.rmtree(tmp, ignore_errors=True)
                    count += 1
                continue
            plan = tmp.name[len(TMP_PREFIX):].rsplit("-", 2)[0]
            if plan_name is not None:
                if plan != plan_name:
                    continue
            elif self.lock(plan).is_locked_elsewhere():
                continue
            shutil.rmtree(tmp, ignore_errors=True)
            count += 1
        return count

    def prune(self, older_than_days: float = 30.0, *, dry_run: bool = False) -> PruneResult:
        """Remove environments unused for ``older_than_days`` days, and those whose models are
        all gone from disk; then what killed builds left behind."""
        cutoff = datetime.now(timezone.utc) - timedelta(days=older_than_days)
        removed: list[str] = []
        freed = 0
        for env in self.environments():
            used = parse_iso(env.last_used) or parse_iso(env.created)
            local = [m for m in env.models if "://" not in m]
            gone = bool(env.models) and len(local) == len(env.models) and not any(
                os.path.exists(m) for m in local)
            if (used is not None and used < cutoff) or gone:
                removed.append(env.name)
                if not dry_run:
                    freed += self.remove(env)
                else:
                    freed += env.size_bytes
        stale = 0 if dry_run else self.clean_stale()
        return PruneResult(removed, freed, stale)

    def summary(self) -> dict[str, Any]:
        envs = self.environments()
        return {"root": str(self.root), "count": len(envs),
                "size_bytes": sum(e.size_bytes for e in envs)}
