"""The Deploy tab: readiness per target (checklist + details), the request to send, the OpenAPI
export, and a try-out on a local MLflow server.

Layout: a summary row (one badge per target, "only problems", "Check again"), an error banner,
then a splitter: the checklist tree over the selected rule's details on the left; on the right
the Request and Local server tabs. The check runs in a background task and is cached per model
generation (``entry.cache``), so switching tabs does not re-run it.

Fix buttons switch the model view to the page that fixes the problem (``signature``,
``environment``, ``artifacts``); ``fix_requested(page_key, outcome)`` is emitted first, and a
page with a ``show_deploy_fix(outcome)`` method is handed the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.deploy.rules import KIND_TITLES
from mlmanager.ui import icons
from mlmanager.ui.model_view import ModelView
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.deploy.checklist_model import (
    TARGET_TITLES,
    ChecklistModel,
    GroupRole,
    OutcomeRole,
    StatusRole,
    count_text,
)
from mlmanager.ui.pages.deploy.jobs import check_task
from mlmanager.ui.pages.deploy.openapi_export import ExportResult, OpenApiExporter
from mlmanager.ui.pages.deploy.request_view import RequestView
from mlmanager.ui.pages.deploy.rule_detail import FIX_PAGES, RuleDetail
from mlmanager.ui.pages.deploy.server_panel import ServerPanel
from mlmanager.ui.settings import Settings
from mlmanager.ui.widgets.common import Badge, Banner

if TYPE_CHECKING:
    from mlmanager.core.deploy.targets import DeployReport
    from mlmanager.predict.worker_client import WorkerClient
    from mlmanager.ui.store import ModelEntry
    from mlmanager.ui.tasks import Task, TaskError

CACHE_KEY = "deploy-report"
SUMMARY_WORDS = {"pass": "ready", "warn": "warnings", "fail": "not ready"}
LEVELS = {"pass": "ok", "warn": "warning", "fail": "error"}


class DeployPage(ModelPage):
    """The Deploy tab (registered as ``deploy``)."""

    checked = Signal(object)  # DeployReport
    fix_requested = Signal(str, object)  # model view page key, core Outcome
    idle = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None, *,
                 python: str | None = None,
                 worker_factory: Callable[[], WorkerClient] | None = None) -> None:
        super().__init__(ctx, parent)
        self.report: DeployReport | None = None
        self._task: Task | None = None
        self._doc: Any = None
        self._key: str | None = None
        self._target_badges: list[Badge] = []

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(6)

        top = QHBoxLayout()
        top.setSpacing(6)
        self.summary = QLabel("Deployment readiness")
        self.summary.setObjectName("deploy-summary")
        top.addWidget(self.summary)
        self.badge_row = QHBoxLayout()
        self.badge_row.setSpacing(6)
        top.addLayout(self.badge_row)
        top.addStretch(1)
        self.only_problems = QCheckBox("Only problems")
        self.only_problems.setObjectName("only-problems")
        self.only_problems.setToolTip("Hide the rules that pass")
        self.only_problems.toggled.connect(self._on_only_problems)
        top.addWidget(self.only_problems)
        self.recheck = QPushButton(icons.icon("reload"), "Check again")
        self.recheck.setObjectName("deploy-recheck")
        self.recheck.setToolTip("Run every rule again (the model is re-read when it changes on disk)")
        self.recheck.clicked.connect(self.run_check)
        top.addWidget(self.recheck)
        lay.addLayout(top)

        self.banner = Banner()
        self.banner.setObjectName("deploy-banner")
        self.banner.hide()
        self.banner.action_clicked.connect(self.banner.hide)
        lay.addWidget(self.banner)

        self.model = ChecklistModel(self)
        self.tree = QTreeView()
        self.tree.setObjectName("deploy-checklist")
        self.tree.setAccessibleName("Deployment checklist")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        self.model.modelReset.connect(self._after_reset)

        self.detail = RuleDetail()
        self.detail.fix_requested.connect(self.request_fix)

        self.readiness = QSplitter(Qt.Orientation.Horizontal)
        self.readiness.setObjectName("deploy-readiness")
        self.readiness.addWidget(self.tree)
        self.readiness.addWidget(self.detail)
        self.readiness.setStretchFactor(0, 3)
        self.readiness.setStretchFactor(1, 2)
        self.readiness.setSizes([600, 400])
        self.readiness.setChildrenCollapsible(False)

        self.request_view = RequestView(ctx)
        self.request_view.busy_changed.connect(self._maybe_idle)
        self.request_view.export_requested.connect(self.export_openapi)
        self.server = ServerPanel(ctx, self.request_view.request_spec, python=python, worker_factory=worker_factory)
        self.server.busy_changed.connect(self._maybe_idle)
        self.server.state_changed.connect(self._on_server_state)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("deploy-tabs")
        self.tabs.addTab(self.readiness, icons.icon("shield"), "Readiness")
        self.tabs.addTab(self.request_view, icons.icon("file-json"), "Request")
        self.tabs.addTab(self.server, icons.icon("run"), "Try on a local server")
        lay.addWidget(self.tabs, 1)

        self.exporter = OpenApiExporter(ctx, self)
        self.exporter.finished.connect(self._on_exported)
        # a model closed while another tab is shown: its local server must not outlive it
        ctx.store.entry_removed.connect(self._on_entry_removed)

    # -- entry -----------------------------------------------------------------------------------
    def show_entry(self, entry: ModelEntry | None) -> None:
        same_model = entry is not None and entry.key == self._key
        self.entry = entry
        self._cancel_check()
        self.banner.hide()
        doc = entry.doc if entry is not None else None
        self._doc = doc
        self._key = entry.key if entry is not None else None
        self.server.set_model(self._key, str(entry.path) if entry is not None else None, doc,
                              bool(entry is not None and entry.is_zip))
        if entry is None or doc is None:
            self.report = None
            self.model.clear()
            self._show_badges(None)
            self.detail.show_empty("The readiness check needs a model that can be read.")
            self.request_view.clear("No model")
            state = entry.state.value if entry is not None else ""
            self.summary.setText("Loading…" if state == "loading" else "Deployment readiness: the model cannot be read")
            self._maybe_idle()
            return
        keep = self.request_view.input_path if same_model else None
        self.request_view.set_document(doc)
        if keep is not None:
            self.request_view.set_input_file(keep)
        cached = entry.cache.get(CACHE_KEY)
        if cached is not None:
            self._show_report(cached)
            self._maybe_idle()
            return
        self.run_check()

    def _on_entry_removed(self, entry: ModelEntry) -> None:
        if entry.key == self._key:
            self.cancel()
            self.show_entry(None)

    def run_check(self) -> None:
        """Run every rule in the background (the cached report is replaced)."""
        entry = self.entry
        if entry is None or entry.doc is None:
            return
        self._cancel_check()
        self.summary.setText("Checking deployment readiness…")
        self.recheck.setEnabled(False)
        task = self.ctx.tasks.start(check_task, entry.doc, name="deploy check")
        self._task = task
        task.succeeded.connect(lambda rep, t=task, e=entry: self._checked(t, e, rep))
        task.failed.connect(lambda err, t=task: self._check_failed(t, err))
        task.cancelled.connect(lambda t=task: self._check_cancelled(t))

    def cancel(self) -> None:
        """Stop everything this tab runs (check, request building, server, worker)."""
        self._cancel_check()
        self.request_view.cancel()
        self.server.stop()
        self.exporter.cancel()

    def is_busy(self) -> bool:
        return (self._task is not None or self.request_view.is_busy() or self.server.is_busy()
                or self.exporter.busy)

    def _cancel_check(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        self.recheck.setEnabled(self.entry is not None and self.entry.doc is not None)

    def _checked(self, task: Task, entry: ModelEntry, report: DeployReport) -> None:
        if entry.doc is not None:
            entry.cache[CACHE_KEY] = report
        if task is not self._task:
            return
        self._task = None
        self.recheck.setEnabled(True)
        self._show_report(report)
        self.ctx.status(f"Deployment check of {entry.display_name}: {report.status.upper()}")
        self.checked.emit(report)
        self._maybe_idle()

    def _check_failed(self, task: Task, err: TaskError) -> None:
        err.handled = True
        if task is not self._task:
            return
        self._task = None
        self.recheck.setEnabled(True)
        self.summary.setText("Deployment readiness: the check failed")
        self.banner.show_message("error", "The deployment check failed", str(err), action="Dismiss")
        self._maybe_idle()

    def _check_cancelled(self, task: Task) -> None:
        if task is self._task:
            self._task = None
            self.recheck.setEnabled(True)
            self._maybe_idle()

    # -- report ----------------------------------------------------------------------------------
    def _show_report(self, report: DeployReport) -> None:
        self.report = report
        self.summary.setText("Deployment readiness:")
        self._show_badges(report)
        self.model.set_report(report)

    def _show_badges(self, report: DeployReport | None) -> None:
        for b in self._target_badges:
            self.badge_row.removeWidget(b)
            b.deleteLater()
        self._target_badges = []
        if report is None:
            return
        for t in report.targets:
            statuses = [o.status for o in t.outcomes]
            status = t.status
            words = SUMMARY_WORDS[status] if status != "warn" else count_text(statuses)
            tip = "\n".join(f"{KIND_TITLES[(t.target, k)]}: {t.kind_status(k).upper()}" for k in t.kinds)
            badge = Badge(f"{TARGET_TITLES.get(t.target, t.target)}: {words}", LEVELS[status], tip)
            badge.setObjectName(f"target-badge-{t.target}")
            self.badge_row.addWidget(badge)
            self._target_badges.append(badge)

    def _after_reset(self) -> None:
        """Expand the groups with problems and show the first problem (or the first group)."""
        m = self.model
        problems = m.problem_groups()
        for i in range(m.rowCount()):
            idx = m.index(i, 0)
            self.tree.setExpanded(idx, idx in problems or m.only_problems)
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(max(self.tree.columnWidth(0) + 12, 220), 340))
        target = QModelIndex()
        for g in problems:
            for r in range(m.rowCount(g)):
                child = m.index(r, 0, g)
                if child.data(StatusRole) == "fail":
                    target = child
                    break
            if target.isValid():
                break
        if not target.isValid() and problems:
            g = problems[0]
            target = next((m.index(r, 0, g) for r in range(m.rowCount(g))
                           if m.index(r, 0, g).data(StatusRole) != "pass"), g)
        if not target.isValid() and m.rowCount():
            target = m.index(0, 0)
        if target.isValid():
            self.tree.selectionModel().setCurrentIndex(
                target, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.tree.scrollTo(target)
        else:
            self.detail.show_empty("Nothing to show." if m.only_problems else
                                   "Select a check to see why it passed or failed.")

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.show_empty()
            return
        idx = current.siblingAtColumn(0)
        outcome = idx.data(OutcomeRole)
        if outcome is not None:
            self.detail.show_outcome(outcome)
            return
        key = idx.data(GroupRole)
        if key is not None and self.report is not None:
            statuses = [o.status for t in self.report.targets for o in t.outcomes if (o.rule.target, o.rule.kind) == key]
            self.detail.show_group(key, statuses, self.model.notes(idx))

    def _on_only_problems(self, on: bool) -> None:
        self.model.set_only_problems(on)

    def select_rule(self, rule_id: str) -> bool:
        idx = self.model.rule_index(rule_id)
        if not idx.isValid():
            return False
        self.tree.setExpanded(idx.parent(), True)
        self.tree.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        return True

    # -- fixes -----------------------------------------------------------------------------------
    def request_fix(self, fix_target: str, outcome: Any) -> None:
        """Open the view that fixes ``outcome`` (the signature editor, environment, files)."""
        page_key = FIX_PAGES.get(fix_target, (fix_target, ""))[0]
        self.fix_requested.emit(page_key, outcome)
        view = self._model_view()
        if view is not None and page_key in view.page_keys():
            view.set_current_page(page_key)
            handler = getattr(view.page(page_key), "show_deploy_fix", None)
            if callable(handler):
                handler(outcome)
            self.ctx.status(f"To fix “{outcome.rule.title}”: {outcome.result.fix}")
            return
        name = {"signature": "The signature editor"}.get(page_key, f"The {page_key} view")
        self.banner.show_message("info", f"{name} is not available in this build",
                                 f"To fix “{outcome.rule.title}”: {outcome.result.fix}", action="Dismiss")

    def _model_view(self) -> Any:
        w = self.parentWidget()
        while w is not None and not isinstance(w, ModelView):
            w = w.parentWidget()
        return w

    # -- OpenAPI ---------------------------------------------------------------------------------
    def export_openapi(self, target: str | None = None) -> Task | None:
        if self._doc is None or self.entry is None:
            return None
        task = self.exporter.export(self, self._doc, target or self.request_view.target, self.entry.display_name,
                                    Settings().last_dir)
        self._maybe_idle()
        return task

    def _on_exported(self, result: ExportResult) -> None:
        if result.ok:
            self.banner.hide()
            self.ctx.status(f"OpenAPI document saved to {result.path}")
        elif result.message != "cancelled":
            self.banner.show_message("error", "The OpenAPI document could not be saved", result.message,
                                     action="Dismiss")
        self._maybe_idle()

    # -- misc ------------------------------------------------------------------------------------
    def _on_server_state(self, state: str) -> None:
        text = "Try on a local server"
        if state in ("starting", "running", "checking"):
            text += " ●"
        self.tabs.setTabText(self.tabs.indexOf(self.server), text)

    def _maybe_idle(self, *_args: Any) -> None:
        if not self.is_busy():
            self.idle.emit()
