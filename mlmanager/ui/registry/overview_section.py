"""The Overview tab's section for an opened registry version: where it came from, its facts and
the run it came from, and — for a server version — what its local copy holds: edits saved here
stay on this computer until "Save as New Version…" (explicit, after a confirmation);
"Discard Local Edits" makes the copy equal to the download again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from mlmanager.core.remote.copies import CopyInfo, discard_copy, local_changes, make_copy
from mlmanager.ui import icons
from mlmanager.ui.pages.signature import SAVE_VERSION_LABEL
from mlmanager.ui.registry.details import RunContextView, VersionDetails
from mlmanager.ui.registry.nodes import VersionOrigin, short_path
from mlmanager.ui.tasks import TaskState
from mlmanager.ui.widgets.common import muted_label, section_label

MAX_LISTED = 6


def copy_changes(state: TaskState, folder: str) -> list[str]:
    """Runs in a worker thread."""
    return local_changes(Path(folder))


def reset_copy(state: TaskState, folder: str) -> str:
    """Runs in a worker thread: the copy made again from the download cache."""
    copy = Path(folder)
    info = CopyInfo.read(copy)
    if info is None or not Path(info.pristine).is_dir():
        raise FileNotFoundError("the downloaded files are no longer in the cache; download the "
                                "version again")
    discard_copy(copy)
    return str(make_copy(Path(info.pristine), info.server, info.name, info.version, info.source,
                         root=copy.parent.parent))


class VersionSection(QWidget):
    """See the module docstring. ``controller``: the window's registry controller."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.entry: Any = None
        self.changes: list[str] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 8)
        lay.setSpacing(8)
        lay.addWidget(section_label("Registered model version"))
        self.copy_note = muted_label()
        lay.addWidget(self.copy_note)
        self.edits = QLabel()
        self.edits.setWordWrap(True)
        lay.addWidget(self.edits)
        row = QHBoxLayout()
        row.setSpacing(6)
        self.publish_button = QPushButton(icons.icon("publish"), SAVE_VERSION_LABEL)
        self.publish_button.setToolTip("Upload this folder to the server as a new version of the "
                                       "same registered model (you confirm first)")
        self.publish_button.clicked.connect(self.publish)
        self.discard_button = QPushButton(icons.icon("reload"), "Discard Local Edits")
        self.discard_button.setToolTip("Make the local copy equal to what was downloaded again")
        self.discard_button.clicked.connect(self.discard)
        self.library_button = QPushButton(icons.icon("registry"), "Show in Library")
        self.library_button.clicked.connect(self.show_in_library)
        row.addWidget(self.publish_button)
        row.addWidget(self.discard_button)
        row.addWidget(self.library_button)
        row.addStretch(1)
        lay.addLayout(row)
        #: the run it came from: the Overview puts it below the model's own facts
        self.run_view = RunContextView()
        self.details = VersionDetails(controller.contexts, self.run_view)
        self.details.link_activated.connect(self._link)
        lay.addWidget(self.details)

    def origin(self) -> VersionOrigin | None:
        origin = self.entry.info.get("registry") if self.entry is not None else None
        return origin if isinstance(origin, VersionOrigin) else None

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - the run view goes with it
        super().setVisible(visible)
        self.run_view.setVisible(visible)

    def show_entry(self, entry: Any) -> None:
        self.entry = entry
        origin = self.origin()
        if origin is None:
            return
        branch = origin.branch
        self.details.show_item(origin.item)
        self.publish_button.setVisible(origin.copy)
        self.discard_button.setVisible(origin.copy)
        self.publish_button.setEnabled(branch.writable)
        if origin.copy:
            self.copy_note.setText(
                f"A local copy of version {origin.version.version} downloaded from "
                f"{branch.label}, in {short_path(str(entry.path))}. Edits saved here stay on this "
                "computer; nothing is sent to the server unless you save them as a new "
                f"version ({SAVE_VERSION_LABEL}).")
            self.edits.setText("Checking for local edits…")
            self.edits.show()
            task = self.controller.tasks.start(copy_changes, str(entry.path), name="local edits")
            task.succeeded.connect(lambda changes, e=entry: self._changes(e, changes))
            task.failed.connect(lambda err: setattr(err, "handled", True))
        else:
            self.copy_note.setText(
                f"The version's own folder in {short_path(branch.location)}. "
                + branch.read_only_reason)
            self.edits.hide()

    def _changes(self, entry: Any, changes: list[str]) -> None:
        if entry is not self.entry:
            return
        self.changes = changes
        if not changes:
            self.edits.setText("No local edits: the copy holds exactly what was downloaded.")
            self.discard_button.setEnabled(False)
            return
        shown = ", ".join(changes[:MAX_LISTED]) + (f" and {len(changes) - MAX_LISTED} more"
                                                    if len(changes) > MAX_LISTED else "")
        self.edits.setText(f"Edited locally (not on the server): {shown}.")
        self.discard_button.setEnabled(True)

    def publish(self) -> None:
        if self.entry is not None:
            self.controller.publish_entry(self.entry)

    def discard(self) -> None:
        origin = self.origin()
        if origin is None or self.entry is None:
            return
        if not self.controller.prompter.confirm(
                self, "Discard local edits",
                f"Make the local copy of {origin.version.name} version {origin.version.version} "
                f"equal to what was downloaded from {origin.branch.label}? Your edits to it "
                f"({', '.join(self.changes[:MAX_LISTED]) or 'none found'}) are lost."):
            return
        entry = self.entry
        task = self.controller.tasks.start(reset_copy, str(entry.path), name="discard local edits")

        def done(_path: str) -> None:
            self.controller.host.store.reload(entry)
            self.controller.status(f"The local copy of {origin.version.name} version "
                                   f"{origin.version.version} holds the downloaded files again")

        def failed(err: Any) -> None:
            err.handled = True
            self.controller.prompter.error(self, "Could not discard the local edits", str(err))

        task.succeeded.connect(done)
        task.failed.connect(failed)

    def show_in_library(self) -> None:
        origin = self.origin()
        if origin is None:
            return
        node = self.controller.version_node(origin.branch, origin.version.name,
                                            origin.version.version)
        if node is not None:
            self.controller.host.library_panel.select_source_index(
                self.controller.library.index_of(node))

    def _link(self, kind: str, value: str) -> None:
        origin = self.origin()
        if origin is None:
            return
        node = self.controller.version_node(origin.branch, origin.version.name,
                                            origin.version.version)
        self.controller.follow_link(node, kind, value)
