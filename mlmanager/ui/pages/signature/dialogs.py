"""The modal seams of the signature editor, on top of the app's Prompter.

``run_dialog(prompter, dialog)`` and ``choose(prompter, ...)`` use the prompter's own
``run_dialog``/``choose`` when it has them (tests provide them, so nothing ever blocks on a
modal ``exec()``); otherwise they show the dialog for real.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget


def run_dialog(prompter: Any, dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when it was accepted."""
    runner = getattr(prompter, "run_dialog", None)
    if runner is not None:
        return bool(runner(dialog))
    return dialog.exec() == QDialog.DialogCode.Accepted  # pragma: no cover - real dialogs only


def choose(prompter: Any, parent: QWidget | None, title: str, text: str, choices: list[str]) -> int | None:
    """Ask the user to pick one of ``choices`` (buttons); None when cancelled."""
    fn = getattr(prompter, "choose", None)
    if fn is not None:
        return fn(parent, title, text, choices)
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)  # pragma: no cover
    buttons = [box.addButton(c, QMessageBox.ButtonRole.AcceptRole) for c in choices]  # pragma: no cover
    box.addButton(QMessageBox.StandardButton.Cancel)  # pragma: no cover
    box.exec()  # pragma: no cover
    clicked = box.clickedButton()  # pragma: no cover
    return buttons.index(clicked) if clicked in buttons else None  # pragma: no cover
