"""Registry writes as background tasks (thread side; no widgets): aliases, tags, descriptions,
and publishing a model folder as a new version with its aliases moved.

Each returns a short sentence saying what the server now holds; a failure is the server's own
message (it names the server and what to do). Publishing registers first and moves aliases
after: when an alias cannot be set, the message says the version exists and which alias is
where it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.library.registry.entities import ModelVersion
from mlmanager.core.library.registry.source import RegistrySource
from mlmanager.core.sizes import format_size
from mlmanager.core.transfer.staging import TransferCancelled
from mlmanager.ui.registry.dialogs import PublishRequest
from mlmanager.ui.tasks import Cancelled, TaskState

PERMILLE = 1000


@dataclass(frozen=True)
class FolderSummary:
    files: int
    size: int

    @property
    def text(self) -> str:
        return f"{self.files} file{'s' if self.files != 1 else ''} ({format_size(self.size)})"


def summarize_folder(state: TaskState, folder: str) -> FolderSummary:
    """Runs in a worker thread: how many files and bytes a model folder holds."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(folder):
        state.check()
        for name in names:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            files += 1
            size += st.st_size
    return FolderSummary(files, size)


@dataclass
class Published:
    version: ModelVersion
    moved: dict[str, str | None] = field(default_factory=dict)  # alias -> previous version
    alias_error: str | None = None

    def sentence(self, server: str) -> str:
        text = f"Registered {self.version.name} version {self.version.version} on {server}"
        if self.moved:
            parts = [f"@{a} moved from version {before}" if before else f"@{a} set"
                     for a, before in self.moved.items()]
            text += "; " + ", ".join(parts) + f" to version {self.version.version}"
        text += "."
        if self.alias_error:
            text += f" {self.alias_error}"
        return text


def publish_folder(state: TaskState, source: RegistrySource, folder: str,
                   request: PublishRequest) -> Published:
    """Runs in a worker thread: register ``folder`` as a new version, then set its aliases."""
    def progress(done: int, total: int | None, item: str) -> None:
        text = f"{format_size(done)} of {format_size(total)}" if total else format_size(done)
        state.progress(min(PERMILLE, done * PERMILLE // total) if total else 0,
                       PERMILLE if total else None, f"{text} · {item}" if item else text)

    before: dict[str, str] = {}
    if request.aliases:
        try:
            before = dict(source.get_registered_model(request.name).aliases)
        except MlmanagerError:
            before = {}  # a new registered model: no aliases yet
    try:
        version = source.register_model_folder(Path(folder), request.name,
                                               description=request.description,
                                               tags=request.tags or None, progress=progress,
                                               cancel=state.is_cancelled)
    except TransferCancelled:
        raise Cancelled from None
    out = Published(version)
    for alias in request.aliases:
        try:
            source.set_alias(request.name, alias, version.version)
        except MlmanagerError as exc:
            where = (f"still on version {before[alias]}" if alias in before else "not set")
            out.alias_error = (f"Version {version.version} exists, but @{alias} could not be set "
                               f"({exc}); @{alias} is {where}.")
            break
        out.moved[alias] = before.get(alias)
    return out


def set_alias(state: TaskState, source: RegistrySource, name: str, alias: str,
              version: str, before: str | None) -> str:
    source.set_alias(name, alias, version)
    if before and before != version:
        return f"@{alias} of {name} moved from version {before} to version {version}."
    return f"@{alias} of {name} now points to version {version}."


def delete_alias(state: TaskState, source: RegistrySource, name: str, alias: str) -> str:
    source.delete_alias(name, alias)
    return f"@{alias} of {name} deleted."


def set_tag(state: TaskState, source: RegistrySource, name: str, key: str, value: str,
            version: str | None) -> str:
    source.set_tag(name, key, value, version)
    what = f"{name} version {version}" if version else name
    return f"Tag {key} = {value!r} set on {what}."


def delete_tag(state: TaskState, source: RegistrySource, name: str, key: str,
               version: str | None) -> str:
    source.delete_tag(name, key, version)
    what = f"{name} version {version}" if version else name
    return f"Tag {key} deleted from {what}."


def set_description(state: TaskState, source: RegistrySource, name: str, text: str,
                    version: str | None) -> str:
    source.set_description(name, text, version)
    what = f"{name} version {version}" if version else name
    return f"Description of {what} {'updated' if text else 'cleared'}."
