"""The installer that builds environments: uv (the PyPI package ``uv`` ships it), else pip.

Only command lines are made here; ``streaming.run_command`` runs them. uv creates the
environment (``uv venv --seed --relocatable``: setuptools for old packages that import
``pkg_resources``; relative paths, so the finished folder can be renamed into the cache) and
installs into it with ``--python`` naming the exact interpreter (uv's own discovery trips over
pyenv's shims). When uv cannot run, ``python -m venv`` + pip does the same, with less: no
offline mode, no resolution preview, a dated resolution only with a pip that has
``--uploaded-prior-to``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlmanager.core.environments.failures import EnvironmentBuildError

#: compiled last: with --allow-build, everything else may build first ("light" builds)
HEAVY_PACKAGES = ("numpy", "scipy", "scikit-learn", "pandas")
UV_ENV_VAR = "MLMANAGER_UV"  # a uv executable to use, or "none" to use pip
_DROP_ENV = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", "PYTHONPATH", "UV_PYTHON",
             "UV_SYSTEM_PYTHON", "PIP_REQUIRE_VIRTUALENV", "UV_EXCLUDE_NEWER", "UV_NO_BUILD",
             "UV_OFFLINE", "PIP_USER", "PIP_TARGET", "PIP_PREFIX")


def _version_of(exe: str) -> str | None:
    try:
        proc = subprocess.run([exe, "--version"], capture_output=True, timeout=30,  # noqa: S603
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stdout.decode("utf-8", "replace").strip()
    return text if proc.returncode == 0 and text.startswith("uv ") else None


def find_uv() -> tuple[str | None, str]:
    """``(uv executable, its version)`` or ``(None, why uv is not usable)``."""
    override = os.environ.get(UV_ENV_VAR)
    if override:
        if override.lower() == "none":
            return None, f"{UV_ENV_VAR}=none"
        version = _version_of(override)
        return (override, version) if version else (None, f"{override} ({UV_ENV_VAR}) does not run")
    candidates = []
    try:
        from uv import find_uv_bin  # the PyPI package `uv`, a dependency

        candidates.append(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        candidates.append(found)
    for exe in candidates:
        version = _version_of(exe)
        if version:
            return exe, version
    return None, "uv is not installed (pip install uv)" if not candidates else "uv does not run"


@dataclass(frozen=True)
class Installer:
    """One installer's command lines. ``kind``: "uv" or "pip"."""

    kind: str
    executable: str | None = None  # uv
    version: str = ""
    offline: bool = False
    cache_dir: str | None = None  # uv's package cache (tests use a private one)

    @classmethod
    def locate(cls, *, offline: bool = False, cache_dir: str | None = None) -> Installer:
        uv, version = find_uv()
        if uv is not None:
            return cls("uv", uv, version, offline, cache_dir)
        if offline:
            raise EnvironmentBuildError(
                f"an offline build needs uv, which is not usable here ({version}); "
                "install it with `pip install uv`", kind="installer")
        return cls("pip", None, f"pip (uv not usable: {version})", offline, None)

    @property
    def can_resolve(self) -> bool:
        """Whether a resolution can be previewed without installing (uv pip compile)."""
        return self.kind == "uv"

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
        env.update(NO_COLOR="1", UV_NO_PROGRESS="1", UV_PYTHON_DOWNLOADS="never",
                   PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONIOENCODING="utf-8")
        if self.cache_dir:
            env["UV_CACHE_DIR"] = self.cache_dir
        return env

    def _uv(self, *args: str) -> list[str]:
        assert self.executable is not None
        out = [self.executable, *args, "--color", "never"]
        if self.offline:
            out.append("--offline")
        return out

    @staticmethod
    def _build_flags(builds: str, kind: str) -> list[str]:
        if kind == "uv":
            if builds == "none":
                return ["--no-build"]
            if builds == "light":
                return [f for p in HEAVY_PACKAGES for f in ("--only-binary", p)]
            return []
        if builds == "none":
            return ["--only-binary", ":all:"]
        if builds == "light":
            return ["--only-binary", ",".join(HEAVY_PACKAGES)]
        return []

    def venv_argv(self, base_python: str, dest: Path, *, exclude_newer: str | None) -> list[str]:
        if self.kind == "pip":
            return [base_python, "-m", "venv", str(dest)]
        argv = self._uv("venv", "--seed", "--relocatable", "--python", base_python)
        if exclude_newer:
            argv += ["--exclude-newer", exclude_newer]  # the seed packages of that day
        return argv + [str(dest)]

    def resolve_argv(self, base_python: str, requirements: Path, *, exclude_newer: str | None,
                     builds: str, constraints: Path | None = None, no_deps: bool = False,
                     later: dict[str, str] | None = None) -> list[str]:
        """``uv pip compile``: the exact package set an install would get, nothing installed.
        ``later``: packages allowed up to a later date than ``exclude_newer``."""
        argv = self._uv("pip", "compile", "--python", base_python, "--no-header",
                        "--no-annotate", "--quiet")
        argv += self._build_flags(builds, "uv")
        if exclude_newer:
            argv += ["--exclude-newer", exclude_newer]
            for name, date in sorted((later or {}).items()):
                argv += ["--exclude-newer-package", f"{name}={date}"]
        if constraints is not None:
            argv += ["--constraints", str(constraints)]
        if no_deps:
            argv.append("--no-deps")
        return argv + [str(requirements)]

    def install_argv(self, env_python: Path, requirements: Path, *, exclude_newer: str | None,
                     builds: str, constraints: Path | None = None,
                     pip_dated: bool = False, refresh: tuple[str, ...] = (),
                     no_deps: bool = False) -> list[str]:
        """``refresh``: packages whose cached builds uv must not reuse (with ``--exclude-newer``
        uv 0.13 installs a cached build of a folder/URL requirement despite ``--no-build``)."""
        if self.kind == "pip":
            argv = [str(env_python), "-m", "pip", "install", "--no-input", "-r", str(requirements)]
            argv += self._build_flags(builds, "pip")
            if exclude_newer and pip_dated:
                argv += ["--uploaded-prior-to", exclude_newer]
            if constraints is not None:
                argv += ["-c", str(constraints)]
            return argv
        argv = self._uv("pip", "install", "--python", str(env_python), "-r", str(requirements))
        argv += self._build_flags(builds, "uv")
        if builds == "none":
            argv += [f for name in refresh for f in ("--refresh-package", name)]
        if no_deps:  # an exact resolution (uv pip compile's), installed as it is
            argv.append("--no-deps")
        if exclude_newer:
            argv += ["--exclude-newer", exclude_newer]
        if constraints is not None:
            argv += ["--constraints", str(constraints)]
        return argv

    def pip_supports_dates_argv(self, env_python: Path) -> list[str]:
        return [str(env_python), "-m", "pip", "install", "--help"]

    def list_argv(self, env_python: Path) -> list[str]:
        if self.kind == "pip":
            return [str(env_python), "-m", "pip", "list", "--format", "json"]
        return [self.executable or "uv", "pip", "list", "--python", str(env_python),
                "--format", "json", "--color", "never", "--offline"]
