"""Helpers for the signature editor tests: a prompter that answers dialogs, a page harness."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.ui.prompter import Call, RecordingPrompter


@dataclass
class DialogPrompter(RecordingPrompter):
    """RecordingPrompter + the editor's two extra seams (``run_dialog`` and ``choose``).

    ``dialogs``: one answer per dialog, a bool or ``fn(dialog) -> bool`` (default: cancel);
    ``choices``: one index per ``choose`` call (default: None, cancel).
    """

    dialogs: list[Any] = field(default_factory=list)
    choices: list[int | None] = field(default_factory=list)
    shown: list[Any] = field(default_factory=list)

    def run_dialog(self, dialog: Any) -> bool:
        self.calls.append(Call("dialog", dialog.windowTitle()))
        self.shown.append(dialog)
        answer = self.dialogs.pop(0) if self.dialogs else False
        return bool(answer(dialog)) if callable(answer) else bool(answer)

    def choose(self, parent: Any, title: str, text: str, choices: list[str]) -> int | None:
        self.calls.append(Call("choose", title, text))
        return self.choices.pop(0) if self.choices else None

    def titles(self, kind: str) -> list[str]:
        return [c.title for c in self.calls if c.kind == kind]


class Harness:
    """A SignaturePage on its own (real store, tasks and prompter), no main window."""

    def __init__(self, qtbot: Any) -> None:
        from mlmanager.ui.pages.base import PageContext
        from mlmanager.ui.pages.signature.page import SignaturePage
        from mlmanager.ui.store import ModelStore
        from mlmanager.ui.tasks import TaskManager

        self.qtbot = qtbot
        self.tasks = TaskManager()
        self.store = ModelStore(self.tasks)
        self.prompter = DialogPrompter()
        self.statuses: list[str] = []
        self.ctx = PageContext(self.tasks, self.prompter, self.store, self.statuses.append)
        self.page = SignaturePage(self.ctx)
        self.page.resize(1000, 760)
        qtbot.addWidget(self.page)
        self.page.show()

    def open(self, path: Path) -> Any:
        from mlmanager.ui.store import EntryState

        entry, _ = self.store.open(path)
        self.qtbot.waitUntil(lambda: entry.state is not EntryState.LOADING and not self.store.is_loading(),
                             timeout=15000)
        self.page.show_entry(entry)
        return entry

    def idle(self, timeout: int = 20000) -> None:
        self.qtbot.waitUntil(self.tasks.is_idle, timeout=timeout)

    @property
    def doc(self) -> Any:
        return self.page.document

    def model(self, section: str, kind: str | None = None) -> Any:
        panel = self.page.panels[section]
        return panel.models[kind or panel.kind()]

    def close(self) -> None:
        self.tasks.shutdown(5000)
        self.store.close_all()


def mirror_rows(model: Any) -> list[Any]:
    """The model's mirror as nested (data, children) tuples, for comparisons."""

    def walk(node: Any) -> list[Any]:
        return [(child.data, walk(child)) for child in node.children]

    return walk(model.root)


def expected_rows(model: Any) -> list[Any]:
    def walk(nodes: list[Any]) -> list[Any]:
        return [(n.data, walk(n.children)) for n in nodes]

    return walk(model.build_rows(model.section_value()))


def answer_with(fn: Callable[[Any], Any], result: bool = True) -> Callable[[Any], bool]:
    """A dialog answer that first runs ``fn(dialog)``."""

    def run(dialog: Any) -> bool:
        fn(dialog)
        return result

    return run
