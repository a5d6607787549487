"""The seam for every dialog: the app asks a Prompter, tests replace it with a recording one.

Nothing else in the UI calls ``QMessageBox``/``QFileDialog`` directly or ``exec()``s a dialog
(forms go through ``run_dialog``, button choices through ``choose``), so no test ever blocks on
a modal ``exec()``.

``save_file`` contract: the path it returns may exist; the real dialog has already asked the
user whether to replace it, so callers may overwrite it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QWidget

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

    def run_dialog(self, dialog: QDialog) -> bool:
        """Show a form modally; True when the user accepted it."""
        from PySide6.QtWidgets import QDialog

        return dialog.exec() == QDialog.DialogCode.Accepted

    def choose(self, parent: QWidget | None, title: str, text: str, choices: list[str]) -> int | None:
        """One button per choice (the first is the default) plus Cancel: the index, or None."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        buttons = [box.addButton(c, QMessageBox.ButtonRole.AcceptRole) for c in choices]
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(buttons[0] if buttons else cancel)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        return buttons.index(clicked) if clicked in buttons else None


@dataclass
class Call:
    kind: str
    title: str
    text: str = ""
    details: str | None = None


@dataclass
class RecordingPrompter(Prompter):
    """For tests: records every call and answers from queues (default: cancel / no).

    ``answers``: confirm; ``paths``: open_file/open_folder/save_file; ``dialogs``: run_dialog,
    a bool or ``fn(dialog) -> bool`` that may fill the form first; ``choices``: choose (an index
    or None). ``shown`` keeps every dialog passed to run_dialog.
    """

    calls: list[Call] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)
    paths: list[str | None] = field(default_factory=list)
    dialogs: list[Any] = field(default_factory=list)
    choices: list[int | None] = field(default_factory=list)
    shown: list[Any] = field(default_factory=list)

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

    def run_dialog(self, dialog) -> bool:  # type: ignore[override]
        self.calls.append(Call("dialog", dialog.windowTitle()))
        self.shown.append(dialog)
        answer = self.dialogs.pop(0) if self.dialogs else False
        return bool(answer(dialog)) if callable(answer) else bool(answer)

    def choose(self, parent, title, text, choices) -> int | None:  # type: ignore[override]
        self.calls.append(Call("choose", title, text, "\n".join(choices)))
        return self.choices.pop(0) if self.choices else None

    def kinds(self) -> list[str]:
        return [c.kind for c in self.calls]

    def titles(self, kind: str) -> list[str]:
        return [c.title for c in self.calls if c.kind == kind]


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

    def run_dialog(self, dialog) -> bool:  # type: ignore[override]
        return False

    def choose(self, parent, title, text, choices) -> int | None:  # type: ignore[override]
        self._say("question", title, text)
        return None
