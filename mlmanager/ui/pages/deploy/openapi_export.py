"""Save a model's OpenAPI document (JSON or YAML) through the prompter seam, written atomically.

The file name's extension picks the format (``.yaml``/``.yml`` -> YAML, anything else JSON; a
name without an extension gets ``.json``). The document is built and written in a background
task; the write goes through ``core.atomic.atomic_write`` (temp file + ``os.replace``), so a
failed write leaves any previous file intact.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from mlmanager.core.atomic import atomic_write
from mlmanager.core.deploy.openapi import build_openapi

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mlmanager.ui.pages.base import PageContext
    from mlmanager.ui.tasks import Task, TaskError, TaskState

OPENAPI_FILTER = "OpenAPI JSON (*.json);;OpenAPI YAML (*.yaml *.yml);;All files (*)"
YAML_SUFFIXES = (".yaml", ".yml")


def format_for(path: str | os.PathLike[str]) -> str:
    return "yaml" if Path(path).suffix.lower() in YAML_SUFFIXES else "json"


def with_suffix(path: str) -> str:
    """Add ``.json`` to a name the user typed without an extension."""
    return path if Path(path).suffix else path + ".json"


def render_openapi(document: dict[str, Any], fmt: str) -> str:
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def openapi_task(state: TaskState, doc: Any, target: str, path: str, fmt: str) -> str:
    """Build the OpenAPI document for ``target`` and write it atomically to ``path`` (a task body)."""
    document = build_openapi(doc, target)
    state.check()
    write_openapi(path, document, fmt)
    return path


def write_openapi(path: str | os.PathLike[str], document: dict[str, Any], fmt: str | None = None) -> Path:
    """Write ``document`` to ``path`` atomically (raises WriteError/UnsafePathError)."""
    p = Path(path)
    text = render_openapi(document, fmt or format_for(p))
    atomic_write(p, text.encode("utf-8"), backup=False)
    return p


def suggested_name(model_name: str, target: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in model_name).strip("-.") or "model"
    return f"{safe}-{target}-openapi.json"


@dataclass
class ExportResult:
    path: str
    ok: bool
    message: str


class OpenApiExporter(QObject):
    """Ask where to save, then build and write in the background; reports ``finished``."""

    finished = Signal(object)  # ExportResult

    def __init__(self, ctx: PageContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None

    def export(self, parent: QWidget | None, doc: Any, target: str, model_name: str,
               start_dir: str | None = None) -> Task | None:
        """Prompt for a file (the prompter seam) and start the write; None when cancelled."""
        if self.task is not None:
            return None
        folder = start_dir or str(Path.home())
        path = self.ctx.prompter.save_file(parent, "Export OpenAPI document",
                                           str(Path(folder) / suggested_name(model_name, target)),
                                           OPENAPI_FILTER)
        if not path:
            return None
        path = with_suffix(path)
        task = self.ctx.tasks.start(openapi_task, doc, target, path, format_for(path), name="openapi export")
        self.task = task
        task.succeeded.connect(lambda p, t=task: self._done(t, ExportResult(str(p), True, "")))
        task.failed.connect(lambda err, t=task, p=path: self._failed(t, p, err))
        task.cancelled.connect(lambda t=task, p=path: self._done(t, ExportResult(p, False, "cancelled")))
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _failed(self, task: Task, path: str, err: TaskError) -> None:
        err.handled = True  # shown in the tab
        self._done(task, ExportResult(path, False, str(err)))

    def _done(self, task: Task, result: ExportResult) -> None:
        if task is self.task:
            self.task = None
        self.finished.emit(result)
