"""The seam for every dialog: the app asks a Prompter, tests replace it with a recording one.

Nothing else in the UI calls ``QMessageBox``/``QFileDialog`` directly, so no test ever blocks on
a modal ``exec()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

MODEL_FILTER = "MLflow models (MLmodel *.zip);;All files (*)"


class Prompter:
    """Real dialogs."""

    def error(self, parent: QWidget | None, title: str, text: str, details: str | None = None) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
        if details:
            box.setDetailedText(details)
        box.exec()

    def warning(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(parent, title, text)

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(parent, title, text)

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            parent,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def open_file(self, parent: QWidget | None, title: str, directory: str, filter: str = MODEL_FILTER) -> str | None:  # noqa: A002
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(parent, title, directory, filter)
        return path or None

    def open_folder(self, parent: QWidget | None, title: str, directory: str) -> str | None:
        from PySide6.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(parent, title, directory)
        return path or None

    def save_file(self, parent: QWidget | None, title: str, directory: str, filter: str = "All files (*)") -> str | None:  # noqa: A002
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(parent, title, directory, filter)
        return path or None


@dataclass
class Call:
    kind: str
    title: str
    text: str = ""
    details: str | None = None


@dataclass
class RecordingPrompter(Prompter):
    """For tests: records every call and answers from queues (default: cancel / no)."""

    calls: list[Call] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)
    paths: list[str | None] = field(default_factory=list)

    def error(self, parent, title, text, details=None) -> None:  # type: ignore[override]
        self.calls.append(Call("error", title, text, details))

    def warning(self, parent, title, text) -> None:  # type: ignore[override]
        self.calls.append(Call("warning", title, text))

    def info(self, parent, title, text) -> None:  # type: ignore[override]
        self.calls.append(Call("info", title, text))

    def confirm(self, parent, title, text) -> bool:  # type: ignore[override]
        self.calls.append(Call("confirm", title, text))
        return self.answers.pop(0) if self.answers else False

    def open_file(self, parent, title, directory, filter=MODEL_FILTER):  # type: ignore[override]  # noqa: A002
        self.calls.append(Call("open_file", title, directory))
        return self.paths.pop(0) if self.paths else None

    def open_folder(self, parent, title, directory):  # type: ignore[override]
        self.calls.append(Call("open_folder", title, directory))
        return self.paths.pop(0) if self.paths else None

    def save_file(self, parent, title, directory, filter="All files (*)"):  # type: ignore[override]  # noqa: A002
        self.calls.append(Call("save_file", title, directory))
        return self.paths.pop(0) if self.paths else None

    def kinds(self) -> list[str]:
        return [c.kind for c in self.calls]


class StderrPrompter(Prompter):
    """For unattended runs (``--screenshot``): messages go to stderr, questions answer "no",
    file dialogs are cancelled. Nothing ever blocks."""

    def _say(self, kind: str, title: str, text: str) -> None:
        import sys

        sys.stderr.write(f"mlmanager: {kind}: {title}: {text}\n")

    def error(self, parent, title, text, details=None) -> None:  # type: ignore[override]
        self._say("error", title, text)

    def warning(self, parent, title, text) -> None:  # type: ignore[override]
        self._say("warning", title, text)

    def info(self, parent, title, text) -> None:  # type: ignore[override]
        self._say("info", title, text)

    def confirm(self, parent, title, text) -> bool:  # type: ignore[override]
        return False

    def open_file(self, parent, title, directory, filter=MODEL_FILTER):  # type: ignore[override]  # noqa: A002
        return None

    def open_folder(self, parent, title, directory):  # type: ignore[override]
        return None

    def save_file(self, parent, title, directory, filter="All files (*)"):  # type: ignore[override]  # noqa: A002
        return None
