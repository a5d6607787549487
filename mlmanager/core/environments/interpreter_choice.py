"""Which interpreter an environment is built on, and why, in words a user can check.

The exact version the model asks for; else the same minor (any patch: a pickle does not care
about the patch level); else ``uv python install`` where allowed and online; else, only when the
caller allows it, the nearest minor (older first at equal distance: old packages have wheels
for older Pythons), with a warning that pickles may not load. A model saved under a Python
newer than any here (3.14 on a machine with 3.13) falls back one minor with a note: there is
nothing nearer. MLflow's own managers demand the exact patch, and fail on most machines.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from mlmanager.core.environments.failures import EnvironmentBuildError
from mlmanager.core.environments.interpreters import (
    Interpreter,
    find_interpreters,
    probe_interpreters,
    version_tuple,
)

INSTALL_TIMEOUT = 300.0
PICKLE_WARNING = ("a model pickled under Python {wanted} may not load under {used} "
                  "(cloudpickle stores code objects per Python version)")


class PythonUnavailableError(EnvironmentBuildError):
    """No interpreter fits the model, and the caller did not allow another one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="python-unavailable")


@dataclass(frozen=True)
class InterpreterChoice:
    interpreter: Interpreter
    wanted: str | None  # the version the model asks for
    match: str  # exact | same-minor | installed | newer-fallback | other-minor | given | unspecified
    reason: str  # one sentence: which interpreter and why
    warning: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"interpreter": self.interpreter.to_dict(), "wanted": self.wanted,
                "match": self.match, "reason": self.reason, "warning": self.warning}


def _minor(version: str) -> tuple[int, int]:
    t = version_tuple(version) + (0, 0)
    return t[0], t[1]


def _available_text(interpreters: Sequence[Interpreter]) -> str:
    return ", ".join(i.version for i in interpreters) or "none"


def try_uv_install(uv: str, version: str) -> tuple[Interpreter | None, str]:
    """``uv python install VERSION``; ``(interpreter, "")`` or ``(None, why it failed)``."""
    try:
        proc = subprocess.run(  # noqa: S603 - uv with a version string we parsed
            [uv, "python", "install", version], capture_output=True, timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"uv python install {version} did not finish ({exc})"
    if proc.returncode != 0:
        lines = [x.strip() for x in proc.stderr.decode("utf-8", "replace").splitlines() if x.strip()]
        cause = next((x for x in lines if x.startswith("error:")), lines[0] if lines else "")
        if any("dns" in x.lower() or "connect" in x.lower() for x in lines):
            cause = "the download site could not be reached"
        return None, f"uv python install {version} failed: {cause}"
    try:
        found = subprocess.run(  # noqa: S603
            [uv, "python", "find", "--managed-python", version], capture_output=True,
            timeout=60, stdin=subprocess.DEVNULL, check=False)
        exe = found.stdout.decode("utf-8", "replace").strip()
    except (OSError, subprocess.TimeoutExpired):
        exe = ""
    probed = probe_interpreters([exe], "uv-installed") if exe else []
    if not probed:
        return None, f"uv python install {version} succeeded but the interpreter was not found"
    return probed[0], ""


def choose_interpreter(
    wanted: str | None,
    *,
    python: str | None = None,
    allow_other_minor: bool = False,
    allow_install: bool = False,
    offline: bool = False,
    uv: str | None = None,
    interpreters: Sequence[Interpreter] | None = None,
) -> InterpreterChoice:
    """Pick the interpreter for a model that asks for Python ``wanted``.

    ``python``: an executable the user gave (always used; a different minor is warned about).
    Raises PythonUnavailableError with what was found and what the user can do.
    """
    if python is not None:
        given = probe_interpreters([python], "given")
        if not given:
            raise PythonUnavailableError(f"{python} is not a Python interpreter that can be run")
        interp = given[0]
        warning = None
        if wanted and _minor(wanted) != interp.minor:
            warning = ("the model was saved under Python " + wanted + "; "
                       + PICKLE_WARNING.format(wanted=wanted, used=interp.version))
        return InterpreterChoice(interp, wanted, "given",
                                 f"Python {interp.version} at {interp.executable}, as you asked",
                                 warning)
    found = list(interpreters) if interpreters is not None else find_interpreters(uv)
    if not found:
        raise PythonUnavailableError("no Python 3 interpreter was found on this machine")
    if not wanted:
        interp = found[0]
        return InterpreterChoice(interp, None, "unspecified",
                                 f"the model does not say which Python it needs; using the "
                                 f"newest here, {interp.version}")
    for interp in found:
        if interp.version == wanted:
            return InterpreterChoice(interp, wanted, "exact",
                                     f"Python {wanted} as the model asks ({interp.source})")
    want_minor = _minor(wanted)
    same = [i for i in found if i.minor == want_minor]
    if same and len(version_tuple(wanted)) < 3:  # "3.8": any patch is what was asked for
        return InterpreterChoice(same[0], wanted, "exact",
                                 f"Python {same[0].version} for the {wanted} the model asks for "
                                 f"({same[0].source})")
    if same:
        interp = same[0]
        return InterpreterChoice(
            interp, wanted, "same-minor",
            f"Python {interp.version} ({interp.source}): the model asks for {wanted}, which is "
            f"not here; the same minor version is used")
    install_note = ""
    if allow_install and uv and not offline:
        installed, why = try_uv_install(uv, wanted)
        if installed is not None:
            return InterpreterChoice(installed, wanted, "installed",
                                     f"Python {installed.version} installed with uv for this model")
        install_note = f" ({why})"
    newest = max(found, key=lambda i: version_tuple(i.version))
    if want_minor[0] == newest.minor[0] and want_minor[1] == newest.minor[1] + 1:
        return InterpreterChoice(
            newest, wanted, "newer-fallback",
            f"Python {newest.version}: the model asks for {wanted}, newer than any Python here"
            f"{install_note}; the newest one is used",
            PICKLE_WARNING.format(wanted=wanted, used=newest.version))
    if allow_other_minor:
        def distance(i: Interpreter) -> tuple[int, int]:
            d = abs((i.minor[0] - want_minor[0]) * 100 + i.minor[1] - want_minor[1])
            return d, 0 if i.minor < want_minor else 1

        interp = min(found, key=distance)
        return InterpreterChoice(
            interp, wanted, "other-minor",
            f"Python {interp.version}: the nearest to the {wanted} the model asks for, which is "
            f"not here{install_note}", PICKLE_WARNING.format(wanted=wanted, used=interp.version))
    raise PythonUnavailableError(
        f"Python {'.'.join(map(str, want_minor))} (the model asks for {wanted}) is not available "
        f"on this machine{install_note}. Found: {_available_text(found)}. Install it (for "
        f"example `pyenv install {wanted}` or `uv python install {wanted}`), give an interpreter "
        f"with --python, or allow the nearest version with --allow-other-python.")


def nearest_minors(
    interp: Interpreter, found: Sequence[Interpreter], limit: int = 3
) -> list[Interpreter]:
    """Other minors near ``interp``'s (older first at equal distance), one interpreter each."""
    by_minor: dict[tuple[int, int], Interpreter] = {}
    for i in found:
        if i.minor != interp.minor and i.minor[0] == interp.minor[0]:
            by_minor.setdefault(i.minor, i)
    ordered = sorted(by_minor.values(),
                     key=lambda i: (abs(i.minor[1] - interp.minor[1]), i.minor > interp.minor))
    return ordered[:limit]
