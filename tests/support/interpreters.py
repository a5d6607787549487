"""The Python interpreters the tests run models under (3.7 to 3.13), found one way, and made
present on CI.

Tests find an interpreter with :func:`require_interpreter`: on a developer's machine a missing one
skips the test (saying what to install), on CI (``CI`` set, as ``.ci/run`` runs) it fails it, so
a CI machine without them can never pass by skipping. ``.ci/run`` runs
``python -m support.interpreters --ensure`` first: it finds each version (pyenv's
``versions/X.Y.*``, then ``pythonX.Y`` on PATH), installs a missing one where it can (``uv python
install``, then ``pyenv install``; both need their download sites), and exits non-zero naming
what is still missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .author_env import RecipeBuildError, find_interpreter, find_uv

#: every minor version a test runs the worker or a factory model under
TEST_PYTHONS = ("3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
INSTALL_TIMEOUT_S = 30 * 60  # pyenv compiles from source


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_interpreter(minor: str) -> Path:
    """Python ``minor``'s interpreter; a test that needs a missing one skips (fails on CI)."""
    import pytest  # only tests call this; `--ensure` runs without pytest

    try:
        return find_interpreter(minor)
    except RecipeBuildError as exc:
        if on_ci():
            pytest.fail(f"{exc} (CI: .ci/run must provide every Python of "
                        f"support.interpreters.TEST_PYTHONS)", pytrace=False)
        pytest.skip(str(exc))
        raise  # unreachable: skip raises


def _try(command: list[str]) -> bool:
    print("  $", " ".join(command), flush=True)
    try:
        done = subprocess.run(command, timeout=INSTALL_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"  failed: {exc}", flush=True)
        return False
    return done.returncode == 0


def _install(minor: str) -> None:
    """Try to install Python ``minor``: uv's managed builds, then pyenv (each needs its site)."""
    try:
        uv = str(find_uv())
    except RecipeBuildError:
        uv = None
    if uv and _try([uv, "python", "install", minor]):
        found = subprocess.run([uv, "python", "find", minor], capture_output=True, text=True,
                               check=False).stdout.strip()
        if found:  # put it where find_interpreter looks: on PATH as pythonX.Y
            bin_dir = Path.home() / ".local" / "bin"
            bin_dir.mkdir(parents=True, exist_ok=True)
            link = bin_dir / f"python{minor}"
            if not link.exists():
                link.symlink_to(found)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    pyenv = shutil.which("pyenv") or str(pyenv_root / "bin" / "pyenv")
    if Path(pyenv).is_file():
        _try([pyenv, "install", "--skip-existing", minor])


def ensure(minors: tuple[str, ...]) -> int:
    """Find (or install) every version; print where each is; 1 if any is still missing."""
    missing = []
    for minor in minors:
        try:
            path = find_interpreter(minor)
        except RecipeBuildError:
            print(f"Python {minor}: not found, installing", flush=True)
            _install(minor)
            try:
                path = find_interpreter(minor)
            except RecipeBuildError as exc:
                missing.append(str(exc))
                continue
        print(f"Python {minor}: {path}", flush=True)
    if missing:
        print("\nThe tests need these interpreters and none could be installed here:\n  "
              + "\n  ".join(missing), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m support.interpreters", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ensure", action="store_true",
                        help="install what is missing (uv, then pyenv); exit 1 if any still is")
    parser.add_argument("versions", nargs="*", default=list(TEST_PYTHONS))
    args = parser.parse_args(argv)
    if args.ensure:
        return ensure(tuple(args.versions))
    for minor in args.versions:
        try:
            print(f"Python {minor}: {find_interpreter(minor)}")
        except RecipeBuildError as exc:
            print(f"Python {minor}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
