"""The right-hand side for registry rows of the library (an opened version shows the model view
instead): a registry (a server or a tracking folder's), a registered model, or a version that is
still on the server.

* registry: where it is, what was listed, a banner when it failed (naming the server and what to
  do, with Retry), Refresh / Cancel / Register a model folder;
* registered model: description, tags, aliases and versions (double-click opens one), with the
  write actions (disabled with the reason on read-only registries);
* version: its facts and the run it came from (:class:`~.details.VersionDetails`), the
  download with progress and Cancel, and the version's write actions.

The panel only shows and forwards: every action is a method of the controller.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons
from mlmanager.ui.models.library import REGISTERED, REGISTRY, SOURCE, VERSION, Node
from mlmanager.ui.models.tables import RowsModel
from mlmanager.ui.registry import REGISTER_FOLDER_LABEL, REGISTER_VERSION_LABEL
from mlmanager.ui.registry.details import RunContexts, VersionDetails, fit_height, make_table
from mlmanager.ui.registry.nodes import Branch, ModelItem, VersionItem, format_stamp
from mlmanager.ui.widgets.common import (
    Banner,
    ElidedLabel,
    muted_label,
    section_label,
    style_role,
)


def _button(text: str, icon: str | None, slot: Any, tip: str = "") -> QPushButton:
    button = QPushButton(text)
    if icon:
        button.setIcon(icons.icon(icon))
    button.setToolTip(tip)
    button.clicked.connect(lambda _c=False: slot())
    return button


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(6)
    for w in widgets:
        row.addWidget(w)
    row.addStretch(1)
    return row


class RegistryPanel(QWidget):
    """See the module docstring. ``controller`` is a :class:`~.controller.RegistryController`."""

    def __init__(self, controller: Any, contexts: RunContexts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.node: Node | None = None
        self.mode = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)

        head = QHBoxLayout()
        head.setContentsMargins(12, 10, 8, 4)
        self.icon = QLabel()
        self.icon.setFixedSize(32, 32)
        head.addWidget(self.icon)
        col = QVBoxLayout()
        col.setSpacing(0)
        self.title = QLabel()
        style_role(self.title, "heading")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.subtitle = ElidedLabel()
        style_role(self.subtitle, "muted")
        col.addWidget(self.title)
        col.addWidget(self.subtitle)
        head.addLayout(col, 1)
        self.refresh_button = QToolButton()
        self.refresh_button.setIcon(icons.icon("reload"))
        self.refresh_button.setAutoRaise(True)
        self.refresh_button.setToolTip("List the registry again (F5)")
        self.refresh_button.clicked.connect(lambda: self.controller.refresh_node(self.node))
        head.addWidget(self.refresh_button)
        self.browser_button = QToolButton()
        self.browser_button.setIcon(icons.icon("external"))
        self.browser_button.setAutoRaise(True)
        self.browser_button.setToolTip("Open this in the server's MLflow web UI")
        self.browser_button.clicked.connect(lambda: self.controller.open_in_browser(self.node))
        head.addWidget(self.browser_button)
        outer.addLayout(head)

        self.banner = Banner()
        self.banner.hide()
        self.banner.action_clicked.connect(self._banner_action)
        banner_box = QHBoxLayout()
        banner_box.setContentsMargins(12, 0, 12, 0)
        banner_box.addWidget(self.banner)
        outer.addLayout(banner_box)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll, 1)
        body = QWidget()
        scroll.setWidget(body)
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(16, 8, 16, 16)
        self.body.setSpacing(10)

        # registry -----------------------------------------------------------------------------
        self.branch_box = QWidget()
        bl = QVBoxLayout(self.branch_box)
        bl.setContentsMargins(0, 0, 0, 0)
        self.branch_summary = QLabel()
        self.branch_summary.setWordWrap(True)
        bl.addWidget(self.branch_summary)
        self.branch_note = muted_label()
        bl.addWidget(self.branch_note)
        self.b_refresh = _button("Refresh", "reload", lambda: self.controller.refresh_node(self.node))
        self.b_cancel = _button("Cancel Listing", "cancel", lambda: self.controller.cancel_node(self.node))
        self.b_register = _button(REGISTER_FOLDER_LABEL, "publish",
                                  lambda: self.controller.register_folder(self.node))
        bl.addLayout(_row(self.b_refresh, self.b_cancel, self.b_register))
        self.filter_help = muted_label(
            "Filter with MLflow's search grammar in the library's filter box: "
            "name LIKE 'churn%', tags.team = 'risk', joined with AND. Plain words filter "
            "the rows shown.")
        bl.addWidget(self.filter_help)
        self.body.addWidget(self.branch_box)

        # registered model ---------------------------------------------------------------------
        self.model_box = QWidget()
        ml = QVBoxLayout(self.model_box)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.setSpacing(8)
        ml.addWidget(section_label("Description"))
        self.model_description = QLabel()
        self.model_description.setObjectName("model-description")
        self.model_description.setWordWrap(True)
        self.model_description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ml.addWidget(self.model_description)
        self.m_describe = _button("Edit Description…", "edit",
                                  lambda: self.controller.edit_description(self.node))
        ml.addLayout(_row(self.m_describe))
        ml.addWidget(section_label("Aliases"))
        self.aliases = RowsModel()
        self.aliases_view = make_table(self.aliases, "Aliases")
        ml.addWidget(self.aliases_view)
        self.m_alias = _button("Set Alias…", "tag", lambda: self.controller.set_alias(self.node))
        self.m_unalias = _button("Delete Alias…", "close",
                                 lambda: self.controller.delete_alias(self.node, self._picked(
                                     self.aliases_view, self.aliases)))
        ml.addLayout(_row(self.m_alias, self.m_unalias))
        ml.addWidget(section_label("Tags"))
        self.tags = RowsModel()
        self.tags_view = make_table(self.tags, "Registered model tags")
        ml.addWidget(self.tags_view)
        self.m_tag = _button("Set Tag…", "tag", lambda: self.controller.set_tag(
            self.node, self._picked(self.tags_view, self.tags)))
        self.m_untag = _button("Delete Tag", "close", lambda: self.controller.delete_tag(
            self.node, self._picked(self.tags_view, self.tags)))
        ml.addLayout(_row(self.m_tag, self.m_untag))
        ml.addWidget(section_label("Versions"))
        self.versions = RowsModel()
        self.versions_view = make_table(self.versions, "Versions")
        self.versions_view.doubleClicked.connect(self._open_version_row)
        ml.addWidget(self.versions_view)
        self.m_register = _button(REGISTER_VERSION_LABEL, "publish",
                                  lambda: self.controller.register_folder(self.node))
        ml.addLayout(_row(self.m_register))
        self.body.addWidget(self.model_box)

        # version ------------------------------------------------------------------------------
        self.version_box = QWidget()
        vl = QVBoxLayout(self.version_box)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.setSpacing(8)
        self.open_button = _button("Download and Open", "download",
                                   lambda: self.controller.open_version(self.node))
        self.open_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.progress_text = QLabel()
        style_role(self.progress_text, "muted")
        self.cancel_button = _button("Cancel", "cancel",
                                     lambda: self.controller.cancel_download(self.node),
                                     "Stop the download: nothing is opened, the bytes fetched "
                                     "so far are kept for the next try")
        self.download_row = QWidget()
        dl = QHBoxLayout(self.download_row)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.progress, 1)
        dl.addWidget(self.progress_text, 2)
        dl.addWidget(self.cancel_button)
        vl.addLayout(_row(self.open_button))
        vl.addWidget(self.download_row)
        self.v_alias = _button("Set Alias…", "tag", lambda: self.controller.set_alias(self.node))
        self.v_tag = _button("Set Tag…", "tag", lambda: self.controller.set_tag(self.node))
        self.v_describe = _button("Edit Description…", "edit",
                                  lambda: self.controller.edit_description(self.node))
        vl.addLayout(_row(self.v_alias, self.v_tag, self.v_describe))
        self.details = VersionDetails(contexts)
        self.details.link_activated.connect(lambda kind, value: self.controller.follow_link(
            self.node, kind, value))
        vl.addWidget(self.details)
        self.body.addWidget(self.version_box)
        self.body.addStretch(1)
        self._banner_callback: Any = None

    # ------------------------------------------------------------------------------------------

    @staticmethod
    def _picked(view: Any, model: RowsModel) -> str | None:
        idx = view.currentIndex()
        if not idx.isValid():
            return None
        return str(model.row_values(idx.row())[0]).lstrip("@")

    def _open_version_row(self, index: Any) -> None:
        if self.node is None or self.node.kind != REGISTERED:
            return
        number = str(self.versions.row_values(index.row())[0])
        child = next((c for c in self.node.children if c.payload.version.version == number), None)
        if child is not None:
            self.controller.select_and_open(child)

    def _banner_action(self) -> None:
        if self._banner_callback is not None:
            self._banner_callback()

    def show_banner(self, level: str, title: str, text: str = "", action: str | None = None,
                    callback: Any = None) -> None:
        self._banner_callback = callback
        self.banner.show_message(level, title, text, action)

    def _writes(self, branch: Branch, *buttons: QPushButton) -> None:
        for button in buttons:
            button.setEnabled(branch.writable)
            if not branch.writable:
                button.setToolTip(branch.read_only_reason)

    def show_node(self, node: Node) -> None:
        self.node = node
        self.banner.hide()
        self._banner_callback = None
        kind = node.kind
        payload = node.payload
        self.branch_box.setVisible(kind in (REGISTRY, SOURCE))
        self.model_box.setVisible(kind == REGISTERED)
        self.version_box.setVisible(kind == VERSION)
        if kind in (REGISTRY, SOURCE):
            self.mode = "registry"
            self._show_branch(payload)
        elif kind == REGISTERED:
            self.mode = "model"
            self._show_model(payload)
        elif kind == VERSION:
            self.mode = "version"
            self._show_version(payload)

    def refresh(self) -> None:
        if self.node is not None:
            self.show_node(self.node)

    # -- registry

    def _show_branch(self, branch: Branch) -> None:
        self.icon.setPixmap(icons.icon("server" if branch.server else "registry").pixmap(32, 32))
        self.title.setText(branch.label if branch.server else "Registered models")
        self.subtitle.setText(branch.location)
        self.browser_button.setVisible(branch.server)
        listing = self.controller.branches.is_listing(branch)
        self.b_cancel.setVisible(listing)
        self.b_refresh.setEnabled(not listing)
        self.b_register.setVisible(branch.server)
        self._writes(branch, self.b_register)
        if branch.state == "failed":
            self.branch_summary.setText("The registry could not be listed.")
            if branch.needs_login:
                self.show_banner("error", f"{branch.label} asks for a login", branch.error or "",
                                 "Log In…", lambda: self.controller.log_in(branch))
            else:
                self.show_banner("error", f"{branch.label}: cannot list the registry",
                                 branch.error or "", "Retry",
                                 lambda: self.controller.refresh_node(self.node))
        elif listing:
            self.branch_summary.setText(f"Listing… {branch.models:,} registered models so far.")
        else:
            n, v = branch.models, branch.versions
            text = (f"{n:,} registered model{'s' if n != 1 else ''} with {v:,} "
                    f"version{'s' if v != 1 else ''}")
            if branch.filter:
                text += f" matching {branch.filter}"
            if branch.state == "cancelled":
                text += " (listing cancelled: Refresh lists the rest)"
            self.branch_summary.setText(text + ".")
        if branch.server:
            self.branch_note.setText(
                "Select a version to see its facts and its run; open it to download its files "
                "into a local copy. Edits to a copy stay local until you save them as a new "
                "version."
                + (f"\n\n{branch.login_note}" if branch.login_note else ""))
        else:
            self.branch_note.setText(branch.read_only_reason)

    # -- registered model

    def _show_model(self, item: ModelItem) -> None:
        model, branch = item.model, item.branch
        self.icon.setPixmap(icons.icon("registered-model").pixmap(32, 32))
        self.title.setText(model.name)
        n = len(model.versions)
        where = branch.label if branch.server else branch.location
        self.subtitle.setText(f"{where} · {n} version{'s' if n != 1 else ''} · "
                              f"updated {format_stamp(model.last_updated_timestamp)}")
        self.browser_button.setVisible(branch.server)
        self.model_description.setText(model.description or "No description.")
        self.model_description.setForegroundRole(
            QPalette.ColorRole.WindowText if model.description else QPalette.ColorRole.PlaceholderText)
        self.aliases.set_rows(("Alias", "Version"), [(f"@{a}", v) for a, v in
                                                     sorted(model.aliases.items())])
        self.tags.set_rows(("Tag", "Value"), list(model.tags.items()))
        self.versions.set_rows(
            ("Version", "Aliases", "Status", "Registered", "Run", "Description"),
            [(v.version, " ".join(f"@{a}" for a in v.aliases), v.status,
              format_stamp(v.creation_timestamp), v.run_id or v.model_id or "",
              v.description.splitlines()[0] if v.description else "")
             for v in reversed(model.versions)])
        for view in (self.aliases_view, self.tags_view, self.versions_view):
            fit_height(view)
        self.aliases_view.setVisible(bool(model.aliases))
        self.tags_view.setVisible(bool(model.tags))
        self.m_unalias.setEnabled(bool(model.aliases))
        self.m_untag.setEnabled(bool(model.tags))
        self._writes(branch, self.m_describe, self.m_alias, self.m_tag, self.m_register)
        if not branch.writable:
            self._writes(branch, self.m_unalias, self.m_untag)
            self.show_banner("info", "Read-only registry", branch.read_only_reason)
        self.m_register.setVisible(branch.server)

    # -- version

    def _show_version(self, item: VersionItem) -> None:
        v, branch = item.version, item.branch
        self.icon.setPixmap(icons.icon("version-remote" if branch.server and not item.downloaded
                                       else "version").pixmap(32, 32))
        self.title.setText(f"{v.name} · version {v.version}")
        self.subtitle.setText(
            f"{branch.label if branch.server else branch.location} ▸ {v.name} ▸ {v.title}")
        self.browser_button.setVisible(branch.server)
        self._writes(branch, self.v_alias, self.v_tag, self.v_describe)
        self.details.show_item(item)
        self.show_download(item)
        if item.missing:
            self.show_banner("warning", "The files of this version are not here", item.missing)

    def show_download(self, item: VersionItem, done: int = -1, total: int = -1,
                      text: str = "") -> None:
        if self.node is None or self.node.payload is not item:
            return
        running = self.controller.downloads.running(item) is not None
        self.open_button.setVisible(not running and (item.branch.server or item.path is not None))
        self.open_button.setText("Open" if item.downloaded or not item.branch.server
                                 else "Download and Open")
        self.open_button.setEnabled(item.path is not None or item.branch.server)
        self.download_row.setVisible(running)
        if running:
            if total > 0:
                self.progress.setRange(0, total)
                self.progress.setValue(max(0, done))
            elif done < 0 and total < 0:
                self.progress.setRange(0, 0)
            self.progress_text.setText(text or "Downloading…")
        outcome = self.controller.downloads.last_outcome.get(
            (item.branch.location, item.version.name, item.version.version))
        if outcome and not running and not item.downloaded:
            level = "warning" if "cancelled" in outcome else "error"
            self.show_banner(level, "Download cancelled" if level == "warning" else
                             "Download failed", outcome, "Try Again",
                             lambda: self.controller.open_version(self.node))
