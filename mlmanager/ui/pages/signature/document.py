"""The signature being edited for one open model: its undo stack and the document it came from.

One :class:`SignatureDocument` per open model (the page keeps them by entry key), so switching
models keeps each model's edits and undo history. Item models observe it: ``atomic`` carries
each applied core edit (so they can emit precise row signals), ``reset`` a wholesale change,
and ``changed`` fires once after every command, undo, redo or reset (revalidate, refresh).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from mlmanager.core.signature.edits import Compound, Edit, EditError
from mlmanager.core.signature.schema import Issue, Signature
from mlmanager.ui.pages.signature.commands import EditCommand, flatten


class SignatureDocument(QObject):
    atomic = Signal(object)  # one atomic core edit was applied
    reset = Signal()  # the signature was replaced without an edit (reload)
    changed = Signal()  # after any change: validate again, refresh the UI
    failed = Signal(str)  # an edit was refused (message for the user)

    def __init__(self, key: str, base_doc: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.stack = QUndoStack(self)
        self.base_doc = base_doc  # the ModelDocument the edits apply to (what is on disk)
        self.sig: Signature | None = base_doc.signature
        self.read_error: str | None = base_doc.signature_error
        self.disk_changed = False  # the file changed on disk while there were unsaved edits
        self._issues: list[Issue] | None = None

    # -- state -----------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return not self.stack.isClean()

    @property
    def original(self) -> Signature | None:
        return self.base_doc.signature

    def issues(self) -> list[Issue]:
        if self._issues is None:
            self._issues = self.sig.validate() if self.sig is not None else []
        return self._issues

    def fatal_issues(self) -> list[Issue]:
        return [i for i in self.issues() if i.fatal]

    def signature_for_save(self) -> Signature | None:
        """The edited signature with the file's ``style`` (key order, dialect), like ``set_signature``."""
        old = self.base_doc.signature
        if self.sig is not None and old is not None:
            return dataclasses.replace(self.sig, style=old.style)
        return self.sig

    # -- editing -----------------------------------------------------------------------------

    def push(self, edit: Edit, text: str | None = None) -> bool:
        """Apply ``edit`` as one undo step. Returns False (and emits ``failed``) if it cannot apply."""
        try:
            _new, inverse = edit.apply_with_inverse(self.sig)
        except EditError as exc:
            self.failed.emit(exc.message)
            return False
        self.stack.push(EditCommand(self, edit, inverse, text))
        return True

    def push_all(self, edits: list[Edit], text: str) -> bool:
        """Several edits as one undo step (nothing is pushed for an empty list)."""
        if not edits:
            return False
        return self.push(edits[0] if len(edits) == 1 else Compound(tuple(edits), text), text)

    def apply_edit(self, edit: Edit) -> None:
        """Called by the undo commands only."""
        for part in flatten(edit):
            self.sig = part.apply(self.sig)
            self.atomic.emit(part)
        self._issues = None
        self.changed.emit()

    # -- the file under the edits ----------------------------------------------------------------

    def rebase(self, doc: Any) -> None:
        """The same file was re-read (e.g. after our own save): keep the edits, use ``doc``."""
        self.base_doc = doc
        self.disk_changed = False

    def reload_from(self, doc: Any) -> None:
        """Drop every edit and the undo history; start again from ``doc``."""
        self.stack.clear()
        self.base_doc = doc
        self.sig = doc.signature
        self.read_error = doc.signature_error
        self.disk_changed = False
        self._issues = None
        self.reset.emit()
        self.changed.emit()

    def saved(self, doc: Any) -> None:
        """``doc`` is what was just written: it becomes the base and the stack is clean."""
        self.base_doc = doc
        self.read_error = None
        self.disk_changed = False
        self.stack.setClean()
        self.changed.emit()
