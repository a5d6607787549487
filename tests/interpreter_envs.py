"""Small uv-built environments of other Pythons, for running the worker under them in tests.

Each environment is a recipe (a pyenv interpreter and pinned requirements, wheels only),
built once into ``~/.cache/mlmanager-tests/envs/<hash of the recipe>`` (a temp folder renamed
into place, under a file lock) and reused by later runs and by the other xdist worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.build_cache import cache_root
from support.interpreters import require_interpreter

CACHE = Path(os.environ.get("MLMANAGER_TEST_ENVS") or cache_root() / "envs")


@dataclass(frozen=True)
class Recipe:
    name: str
    python: str  # major.minor
    requirements: tuple[str, ...]

    @property
    def key(self) -> str:
        raw = json.dumps([self.python, sorted(self.requirements)]).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


#: one environment per interpreter generation: old numpy/pandas/scikit-learn on old Pythons
RECIPES = {
    "py37": Recipe("py37", "3.7", ("numpy==1.16.6", "pandas==0.25.3", "scipy==1.4.1",
                                   "scikit-learn==0.22.2.post1")),
    "py38": Recipe("py38", "3.8", ("numpy<1.25", "pandas<2.1", "scikit-learn<1.4")),
    "py310": Recipe("py310", "3.10", ("numpy<2", "pandas<2.3", "scikit-learn<1.6")),
    "py312": Recipe("py312", "3.12", ("numpy>=2", "pandas<3", "scikit-learn")),
    "py313": Recipe("py313", "3.13", ("numpy>=2", "pandas>=3", "scikit-learn")),
}


def uv_binary() -> str | None:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def env_python(recipe: Recipe) -> Path:
    """The environment's interpreter, building the environment first if needed (a missing
    interpreter skips the test on a developer's machine and fails it on CI)."""
    base = require_interpreter(recipe.python)
    uv = uv_binary()
    if uv is None:
        pytest.fail("uv is not installed: pip install uv (it is in the [test] extra)")
    target = CACHE / f"{recipe.name}-{recipe.key}"
    python = target / "bin" / "python"
    if python.exists():
        return python
    with _locked(CACHE / f".{recipe.name}-{recipe.key}.lock"):
        if python.exists():
            return python
        tmp = Path(tempfile.mkdtemp(prefix=f".{recipe.name}-", dir=CACHE))
        try:
            run = dict(capture_output=True, text=True, timeout=900)
            done = subprocess.run([uv, "venv", "--relocatable", "--seed", "--python", str(base),
                                   str(tmp / "env")], **run)
            if done.returncode == 0:
                done = subprocess.run([uv, "pip", "install", "--python", str(tmp / "env" / "bin" / "python"),
                                       "--only-binary", ":all:", *recipe.requirements], **run)
            if done.returncode != 0:
                pytest.fail(f"cannot build the {recipe.name} test environment:\n{done.stderr[-3000:]}")
            os.replace(tmp / "env", target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return python
