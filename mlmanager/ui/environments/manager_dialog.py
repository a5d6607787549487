"""Tools ▸ Environments…: every model environment in the cache — size, last used, the models
that use it — with Remove and Prune. Listing, removing and pruning run as tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.sizes import format_size
from mlmanager.ui import icons
from mlmanager.ui.environments.table_model import EnvironmentsModel
from mlmanager.ui.widgets.common import compact_rows, muted_label

if TYPE_CHECKING:
    from mlmanager.core.environments.cache import Environment
    from mlmanager.ui.environments.builds import EnvironmentBuilds
    from mlmanager.ui.tasks import Task, TaskError


class EnvironmentsDialog(QDialog):
    """The manager; ``listed`` counts the listings shown (tests wait on it)."""

    def __init__(self, builds: EnvironmentBuilds, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("environments-dialog")
        self.setWindowTitle("Model environments")
        self.resize(980, 420)
        self.builds = builds
        self.listed = 0
        self.done_text = ""  # what the last remove/prune did, kept under the new listing
        self._task: Task | None = None
        lay = QVBoxLayout(self)
        self.summary = QLabel("Reading the environments…")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.model = EnvironmentsModel(self)
        self.table = QTableView()
        self.table.setObjectName("environments")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        compact_rows(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.note = muted_label("Each environment is built for one set of requirements and "
                                "shared by every model that needs the same. Removing one frees its "
                                "space; a model whose environment is gone can build it again.")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)

        row = QHBoxLayout()
        self.remove_button = QPushButton(icons.icon("close"), "Remove")
        self.remove_button.setObjectName("env-remove-selected")
        self.remove_button.setEnabled(False)
        self.refresh_button = QPushButton(icons.icon("reload"), "Refresh")
        self.prune_button = QPushButton(icons.icon("cancel"), "Prune")
        self.prune_button.setToolTip("Remove environments unused for this many days, and those "
                                     "whose models are all gone from the disk")
        self.days = QSpinBox()
        self.days.setRange(0, 3650)
        self.days.setValue(30)
        self.days.setSuffix(" days unused")
        self.days.setAccessibleName("Unused for")
        for w in (self.remove_button, self.refresh_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.prune_button)
        row.addWidget(self.days)
        lay.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

        self.remove_button.clicked.connect(self.remove_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.prune_button.clicked.connect(self.prune)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        builds.environments_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self._task is not None and not self._task.done:
            return
        task = self.builds.list_environments()
        self._task = task
        task.succeeded.connect(self._listed)
        task.failed.connect(self._failed)

    def _listed(self, envs: list[Environment]) -> None:
        self.model.set_environments(envs)
        total = sum(e.size_bytes for e in envs)
        root = self.builds.cache.root
        self.summary.setText(
            f"{len(envs)} environment{'s' if len(envs) != 1 else ''}, {format_size(total)} in "
            f"{root}" if envs else f"No model environments yet in {root}. Build one from a "
            "model's Environment tab.")
        if self.done_text:
            self.summary.setText(f"{self.done_text} {self.summary.text()}")
        self.listed += 1
        self._update_buttons()

    def _failed(self, err: TaskError) -> None:
        err.handled = True
        self.summary.setText(f"The environments cannot be listed: {err.message}")

    def selected(self) -> list[Environment]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.environment(r) for r in rows]

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.selected()))

    def remove_selected(self) -> Task | None:
        envs = self.selected()
        if not envs:
            return None
        size = format_size(sum(e.size_bytes for e in envs))
        names = ", ".join(e.name for e in envs[:3]) + (" …" if len(envs) > 3 else "")
        if not self.builds.prompter.confirm(
                self, "Remove environments?",
                f"Delete {names} ({size}) from the disk? The models that use them will need them "
                "built again to predict in them."):
            return None
        self.summary.setText(f"Removing {len(envs)} environment(s)…")
        self.done_text = f"Removed {len(envs)} environment(s), {size} freed."
        return self.builds.remove("", envs)

    def prune(self) -> Task | None:
        days = self.days.value()
        if not self.builds.prompter.confirm(
                self, "Prune environments?",
                f"Remove the environments unused for {days} days or more, and those whose models "
                "are all gone from the disk?"):
            return None
        self.summary.setText("Pruning…")
        task = self.builds.prune(float(days))
        task.succeeded.connect(self._pruned)
        return task

    def _pruned(self, result: Any) -> None:
        self.done_text = (f"Pruned {len(result.removed)} environment(s), "
                          f"{format_size(result.freed_bytes)} freed.")
        self.summary.setText(self.done_text)
