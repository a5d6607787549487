"""Undo commands: one QUndoCommand per user action, holding a core edit and its inverse.

The command never changes the signature itself: ``redo``/``undo`` hand the edit (or its
inverse) to the :class:`~mlmanager.ui.pages.signature.document.SignatureDocument`, which applies it
with the pure core function and tells the item models what changed. A multi-step action is a
core :class:`~mlmanager.core.signature.edits.Compound` (one command, one undo step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from mlmanager.core.signature.edits import Compound, Edit

if TYPE_CHECKING:
    from mlmanager.ui.pages.signature.document import SignatureDocument


class EditCommand(QUndoCommand):
    """``redo`` applies ``edit``; ``undo`` applies ``inverse`` (computed before the first redo)."""

    def __init__(self, document: SignatureDocument, edit: Edit, inverse: Edit, text: str | None = None) -> None:
        super().__init__(text or edit.describe())
        self.document = document
        self.edit = edit
        self.inverse = inverse

    def redo(self) -> None:
        self.document.apply_edit(self.edit)

    def undo(self) -> None:
        self.document.apply_edit(self.inverse)


def flatten(edit: Edit) -> list[Edit]:
    """The atomic edits of ``edit`` in order (a Compound is applied one part at a time, so the
    item models can emit precise insert/remove/move signals for each part)."""
    if isinstance(edit, Compound):
        out: list[Edit] = []
        for part in edit.edits:
            out.extend(flatten(part))
        return out
    return [edit]
