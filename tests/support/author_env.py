"""Environments built with uv from an `EnvSpec`: a pyenv interpreter, pinned packages resolved
as of a day, wheels only. Model recipes build their author's environment here; tests that only
need an old interpreter with old packages call `ensure_env` directly.

Deliberately independent of `mlmanager.core.environments` (the product under test): the models
and their oracles must not be made by the code they are used to check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .build_cache import build_once, cache_root, content_key
from .model_recipes import EnvSpec

INSTALL_TIMEOUT_S = 20 * 60
COMPILED_STACK = ("numpy", "scipy", "pandas", "scikit-learn", "pyarrow", "xgboost", "lightgbm",
                  "onnx", "onnxruntime", "grpcio")  # from wheels even when sdists are allowed
LOG_TAIL_LINES = 60
OFFLINE_PATTERNS = re.compile(
    r"Failed to fetch|error sending request|dns error|Connection refused|Network is unreachable"
    r"|failed to lookup address|Could not connect|tcp connect error|operation timed out",
    re.IGNORECASE,
)


class RecipeBuildError(RuntimeError):
    """A recipe could not be built; the message names the recipe, the step and the tool output."""


@dataclass(frozen=True)
class BuiltEnv:
    spec: EnvSpec
    folder: Path

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python"


def find_uv() -> Path:
    """`$MLMANAGER_TEST_UV`, the PyPI `uv` package, a `uv` beside this Python, then PATH."""
    candidates: list[str | None] = [os.environ.get("MLMANAGER_TEST_UV")]
    try:
        from uv import find_uv_bin  # the PyPI package `uv` ships the binary

        candidates.append(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    candidates += [str(Path(sys.executable).parent / "uv"), shutil.which("uv")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RecipeBuildError("uv not found: pip install uv (it is in the [test] extra)")


def find_interpreter(minor: str) -> Path:
    """The newest patch of Python `minor` under pyenv, else `pythonX.Y` on PATH."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = [
        path / "bin" / "python"
        for path in (pyenv_root / "versions").glob(f"{minor}.*")
        if re.fullmatch(rf"{re.escape(minor)}\.\d+", path.name) and (path / "bin/python").is_file()
    ]
    if found:
        return max(found, key=lambda p: int(p.parent.parent.name.rsplit(".", 1)[1]))
    on_path = shutil.which(f"python{minor}")
    if on_path:
        return Path(on_path)
    raise RecipeBuildError(
        f"Python {minor} not found (looked under {pyenv_root}/versions and for python{minor} on "
        f"PATH): install it, e.g. `pyenv install {minor}`"
    )


def interpreter_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return done.stdout.strip()


def child_environ() -> dict[str, str]:
    """The environment for uv and the author's scripts: no leaking venv, no Python downloads."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONSTARTUP",
               # the first import in an environment compiles what it needs, once: cheaper than
               # uv --compile-bytecode of every module of mlflow's dependencies
               "PYTHONDONTWRITEBYTECODE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        PYTHONHASHSEED="0",
        GIT_PYTHON_REFRESH="quiet",  # MLflow 1.x warns loudly when git is missing
    )
    return env


def run_step(
    name: str, step: str, command: list[str], log: Path, *, cwd: Path | None = None,
    timeout: float = INSTALL_TIMEOUT_S,
) -> None:
    """Run one build step, appending its output to `log`; raise a RecipeBuildError if it fails."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, cwd=cwd, env=child_environ(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace", timeout=timeout,
        )
        output, failed = done.stdout, done.returncode != 0
        status = f"exit {done.returncode}"
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode(errors="replace")
        failed, status = True, f"timed out after {timeout:.0f} s"
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{output}\n[{step}: {status}, "
                     f"{time.monotonic() - started:.1f} s]\n\n")
    if failed:
        raise RecipeBuildError(_failure_message(name, step, command, output, status, log))


def _failure_message(
    name: str, step: str, command: list[str], output: str, status: str, log: Path
) -> str:
    tail = "\n".join(output.rstrip().splitlines()[-LOG_TAIL_LINES:])
    hint = ""
    if OFFLINE_PATTERNS.search(output):
        hint = (
            "\nThe package index (PyPI) looks unreachable and uv's cache lacks what this recipe "
            "needs: build the models once where the index is reachable "
            "(PYTHONPATH=tests python -m support.model_factory --build-all).\n"
        )
    return (
        f"recipe {name!r}: {step} failed ({status}){hint}\n"
        f"command: {' '.join(command)}\nlast lines of output:\n{tail}\n(full log kept at {log})"
    )


def env_key(spec: EnvSpec, interpreter: Path) -> str:
    return content_key({
        "kind": "env",
        "python": interpreter_version(interpreter),
        "interpreter": str(interpreter),
        "packages": sorted(spec.packages),
        "resolved_as_of": spec.resolved_as_of,
        "wheels_only": spec.wheels_only,
    })


def env_folder(spec: EnvSpec, cache: Path, interpreter: Path) -> Path:
    return cache / "envs" / f"{spec.name}-{env_key(spec, interpreter)}"


def ensure_env(spec: EnvSpec, cache: Path | None = None) -> BuiltEnv:
    """The spec's environment, built with uv unless the cache has it (safe across processes).

    Raises RecipeBuildError naming the spec, the failed step and uv's output.
    """
    cache = cache or cache_root()
    interpreter = find_interpreter(spec.python)
    final = env_folder(spec, cache, interpreter)
    logs = cache / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{final.name}.log"

    def build(temp: Path) -> None:
        log.write_text("")
        uv = str(find_uv())
        dated = ["--exclude-newer", f"{spec.resolved_as_of}T00:00:00Z"] if spec.resolved_as_of else []
        run_step(spec.name, "creating the environment", [
            uv, "venv", "--seed", "--relocatable", *dated, "--python", str(interpreter), str(temp),
        ], log)
        install = [uv, "pip", "install", "--python", str(temp / "bin" / "python"), *dated]
        if spec.wheels_only:
            install.append("--no-build")
        else:  # small pure-Python sdists may build; the compiled stack never does
            install += [arg for name in COMPILED_STACK for arg in ("--only-binary", name)]
        run_step(spec.name, "installing " + " ".join(spec.packages), [*install, *spec.packages], log)

    build_once(final, build)
    return BuiltEnv(spec, final)
