"""One build or preview run: the log file, the caller's callbacks and cancel flag, and the
installer commands it runs, each failure read into plain words."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from mlmanager.core.environments.failures import BuildCancelled, Failure, classify
from mlmanager.core.environments.plan import BuildPlan
from mlmanager.core.environments.recipe import requirement_name
from mlmanager.core.environments.streaming import CancelledFn, LineFn, run_command

ProgressFn = Callable[[str], None]


class AttemptFailed(Exception):
    """One strategy failed (the build goes on with the next one, if any)."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(failure.message)


class BuildRun:
    """One preview or build: the log, the callbacks, the cancel flag."""

    def __init__(self, plan: BuildPlan, log_file: TextIO | None, on_log: LineFn | None,
                 on_progress: ProgressFn | None, cancelled: CancelledFn | None) -> None:
        self.plan = plan
        self.installer = plan.installer
        self.log_file = log_file
        self.on_log = on_log
        self.on_progress = on_progress
        self.cancelled = cancelled
        self.log_path = str(log_file.name) if log_file is not None else None
        self.started = time.monotonic()

    def log(self, line: str) -> None:
        if self.log_file is not None:
            self.log_file.write(line + "\n")
            self.log_file.flush()
        if self.on_log is not None:
            self.on_log(line)

    def progress(self, text: str) -> None:
        if self.log_file is not None:
            self.log_file.write(f"== [{time.monotonic() - self.started:5.1f} s] {text}\n")
            self.log_file.flush()
        if self.on_progress is not None:
            self.on_progress(text)

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise BuildCancelled(self.log_path)

    def run(self, argv: list[str], python: str | None = None) -> list[str]:
        """Run one installer command; its output lines, or AttemptFailed / BuildCancelled."""
        self.check()
        self.log("$ " + " ".join(argv))
        try:
            # cwd: the cache folder, so no project's pyproject.toml/uv.toml changes the build
            result = run_command(argv, env=self.installer.environ(), on_line=self.log,
                                 cancelled=self.cancelled, cwd=str(self.plan.cache.root))
        except OSError as exc:
            raise AttemptFailed(Failure("installer", f"{argv[0]} cannot run: {exc.strerror or exc}")) from None
        if result.cancelled:
            raise BuildCancelled(self.log_path)
        if result.returncode != 0:
            raise AttemptFailed(self.refine(classify(result.text, python)))
        return result.lines

    def refine(self, failure: Failure) -> Failure:
        """A package given as a folder or URL has no wheel on any index: only a build helps."""
        if failure.kind != "no-wheel" or not failure.requirement:
            return failure
        if requirement_name(failure.requirement) in direct_references(self.plan.spec.requirements):
            return source_only(failure.requirement)
        return failure


def direct_references(lines: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Names of requirements given as a folder, file or URL (``name @ file:///...``)."""
    names = []
    for line in lines:
        text = line.strip()
        if " @ " in text or "://" in text:
            name = requirement_name(text)
            if name:
                names.append(name)
    return tuple(names)


def source_only(requirement: str) -> Failure:
    return Failure("source-only", f"{requirement} is a source folder or URL, which only a build "
                   "can install", requirement, hint="--allow-build allows it")


def built_from_source(venv: Path) -> list[str]:
    """Distributions in ``venv`` installed from a folder or an sdist URL (direct_url.json),
    i.e. built: a wheels-only environment must have none (whatever uv's cache remembers)."""
    found = []
    for record in venv.glob("[Ll]ib/*/site-packages/*.dist-info/direct_url.json") or \
            venv.glob("Lib/site-packages/*.dist-info/direct_url.json"):
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(record.read_text("utf-8"))
            url = str(data.get("url", ""))
            if "dir_info" in data or ("archive_info" in data and not url.endswith(".whl")) \
                    or "vcs_info" in data:
                found.append(record.parent.name.split("-")[0])
    return found
