"""The Predict tab: load or type an input, check it against the signature, predict in the worker.

The page composes the widgets and holds one controller per concern, as it holds the run
(``runner``, ``run_controller``): the input and its check (``inputs``, ``input_flow``), the scan
and trust (``safety``, ``safety_flow``) and the outward actions (``exports``, ``export_actions``).
The page's state (the per-model states, the current tokens) stays on the page.

Everything slow runs off the GUI thread: reading and validating the input in the input helper
process (``mlmanager.predict.input_helper``), the model in the prediction worker
(``run_controller``). Each background step carries a token, so a result that arrives after the user moved on is dropped. Worker
failures (crash, timeout, refusal) become a message in the tab; the input stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.predict.input_helper import OpenedInput
from mlmanager.ui import icons
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.predict.autorun import AutoRun, prepare_for_screenshot
from mlmanager.ui.pages.predict.export_actions import ExportController
from mlmanager.ui.pages.predict.input_flow import InputController
from mlmanager.ui.pages.predict.input_panel import InputPanel, input_paths
from mlmanager.ui.pages.predict.problems_view import ProblemsView
from mlmanager.ui.pages.predict.results_panel import ResultsPanel
from mlmanager.ui.pages.predict.run_controller import (
    DEFAULT_TIMEOUT,
    RunController,
    RunFailure,
    RunOutcome,
    RunRequest,
)
from mlmanager.ui.pages.predict.safety_flow import SafetyController
from mlmanager.ui.pages.predict.state import (
    MODE_NOTES,
    SEMANTICS,
    ModelState,
    PredictServices,
)
from mlmanager.ui.pages.predict.trust_panel import (
    TrustedModelsDialog,
    TrustPanel,
)
from mlmanager.ui.pages.predict.where_flow import WhereController, where_combo
from mlmanager.ui.settings import Settings
from mlmanager.ui.turns import later
from mlmanager.ui.widgets.common import Banner, muted_label
from mlmanager.ui.widgets.flow_layout import FlowLayout, group

if TYPE_CHECKING:
    from mlmanager.core.safety import TrustStore
    from mlmanager.ui.store import ModelEntry
    from mlmanager.ui.tasks import TaskState


def _warm_imports(state: TaskState) -> None:
    """Import what the first results need (pandas, the frame reader) before the first drop."""
    import pandas  # noqa: F401


class PredictPage(ModelPage):
    """The Predict tab (registered as ``predict``)."""

    signature_fix_requested = Signal(object)  # SignatureFixRequest
    input_loaded = Signal(object)  # OpenedInput
    checked = Signal(object)  # CheckOutcome
    run_finished = Signal(object)  # RunOutcome
    run_failed = Signal(object)  # RunFailure
    idle = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None, *,
                 services: PredictServices | None = None, use_chart: bool = True) -> None:
        super().__init__(ctx, parent)
        self.inputs = InputController(self)
        self.safety = SafetyController(self)
        self.exports = ExportController(self)
        self.services = services or PredictServices.create()
        self.screenshot_mode = False
        self._session_trust: set[str] = set()
        self._store: TrustStore | None = None
        self._store_error: str | None = None
        self._states: dict[str, ModelState] = {}
        self._state: ModelState | None = None
        self._busy: dict[str, int] = {}
        self._token = 0
        self._check_token = 0
        self._pending_run: bool | None = None  # None: none; else "ask for trust" flag
        self._autorun: AutoRun | None = None
        self._banner_action: Callable[[], None] | None = None
        self._dialog: TrustedModelsDialog | None = None
        self._last_path: str | None = None
        self._run_token = -1
        self._autorun_ending = False
        self.last_copied = ""
        self.setAcceptDrops(True)

        self.runner = RunController(ctx.tasks, self.services.pool, self)
        self.runner.progress.connect(self._set_progress_text)
        self.runner.scanned.connect(self.safety.on_scanned)
        self.runner.finished.connect(self._on_run_finished)
        self.runner.failed.connect(self._on_run_failed)
        self.runner.busy_changed.connect(lambda _b: self._update_actions())

        self._build()
        self.where = WhereController(self)
        self._connect()
        self._restore_settings()
        self._update_actions()
        services_ref = self.services
        if self.services.owned:
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(services_ref.close)
            self.destroyed.connect(lambda *_: services_ref.close())
        ctx.store.entry_removed.connect(self._on_entry_removed)
        self._warm_up()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(6)

        self.open_button = QPushButton(icons.icon("open"), "Open input…")
        self.open_button.setToolTip("Load a CSV, JSON or Parquet input (or drop it on the tab)")
        self.example_button = QPushButton(icons.icon("file-json"), "Input example")
        self.example_button.setToolTip("Start from the input example saved with the model")
        self.rows_button = QPushButton(icons.icon("file-table"), "Type rows")
        self.rows_button.setToolTip("Type input rows into a grid built from the signature")
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("semantics")
        for key, text, tip in SEMANTICS:
            self.mode_combo.addItem(text, key)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.setToolTip("Which validation rules apply: " + " / ".join(s[1] for s in SEMANTICS))
        self.autorun = QCheckBox("Predict when valid")
        self.autorun.setToolTip("Run the model as soon as the input passes the check (only for models "
                                "that load without asking for trust)")
        self.timeout = QSpinBox()
        self.timeout.setObjectName("timeout")
        self.timeout.setRange(1, 24 * 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(int(DEFAULT_TIMEOUT))
        self.timeout.setToolTip("Stop the model (load + predict) after this many seconds")
        self.run_button = QPushButton(icons.icon("run"), "Predict")
        self.run_button.setObjectName("run-button")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton(icons.icon("cancel"), "Cancel")
        self.cancel_button.setObjectName("cancel-button")
        self.export_button = QToolButton()
        self.export_button.setIcon(icons.icon("external"))
        self.export_button.setText("Export")
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.act_export_csv = self.export_menu.addAction("Save predictions as CSV…", lambda: self.export_predictions_as("csv"))
        self.act_export_json = self.export_menu.addAction("Save predictions as JSON…", lambda: self.export_predictions_as("json"))
        self.act_export_table = self.export_menu.addAction("Save the table with inputs as CSV…", self.export_table_as)
        self.export_menu.addSeparator()
        self.act_copy_request = self.export_menu.addAction(icons.icon("copy"), "Copy input as MLflow request (JSON)", lambda: self.copy_request(curl=False))
        self.act_copy_curl = self.export_menu.addAction(icons.icon("copy"), "Copy input as curl command", lambda: self.copy_request(curl=True))
        self.export_menu.addSeparator()
        self.act_save_example = self.export_menu.addAction(icons.icon("file-json"), "Save input as the model's input example", self.save_as_example)
        self.export_button.setMenu(self.export_menu)
        # a flow of small groups, not one row: a narrow window wraps the toolbar instead of
        # squeezing the library panel (one row needed ~1,140 px)
        toolbar = QWidget()
        toolbar.setObjectName("predict-toolbar")
        bar = FlowLayout(toolbar, spacing=12)
        bar.addWidget(group(self.open_button, self.example_button, self.rows_button))
        bar.addWidget(self.mode_combo)
        self.where_combo = where_combo()
        bar.addWidget(group(QLabel("Run in"), self.where_combo))
        bar.addWidget(group(self.run_button, self.cancel_button, self.export_button))
        bar.addWidget(group(self.autorun, QLabel("Timeout"), self.timeout))  # first to wrap
        lay.addWidget(toolbar)
        self.where_note = muted_label("")
        self.where_note.setObjectName("where-note")
        self.where_note.setWordWrap(True)
        lay.addWidget(self.where_note)

        status = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # showing it must not re-layout the whole tab
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        self.progress_text = muted_label("")
        self.progress_text.setWordWrap(False)
        status.addWidget(self.progress_text, 1)
        status.addWidget(self.progress)

        self.trust = TrustPanel()
        lay.addWidget(self.trust)
        self.banner = Banner()
        self.banner.setObjectName("predict-banner")
        self.banner.hide()
        lay.addWidget(self.banner)
        lay.addLayout(status)

        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.input = InputPanel()
        self.problems = ProblemsView()
        self.results = ResultsPanel(use_chart=True)
        self.split.addWidget(self.input)
        self.split.addWidget(self.problems)
        self.split.addWidget(self.results)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setStretchFactor(2, 4)
        self.problems.hide()
        self.results.hide()
        lay.addWidget(self.split, 1)

    def _connect(self) -> None:
        self.open_button.clicked.connect(self.inputs.ask_open_input)
        self.example_button.clicked.connect(self.use_example)
        self.rows_button.clicked.connect(self.show_grid)
        d = self.input.drop_area
        d.open_clicked.connect(self.inputs.ask_open_input)
        d.example_clicked.connect(self.use_example)
        d.rows_clicked.connect(self.show_grid)
        self.input.grid.rows_ready.connect(self.use_grid_rows)
        self.input.params.changed.connect(self.inputs.on_params_changed)
        self.mode_combo.currentIndexChanged.connect(self.inputs.on_mode_changed)
        self.autorun.toggled.connect(lambda on: setattr(self._settings(), "predict_autorun", on))
        self.timeout.valueChanged.connect(lambda v: setattr(self._settings(), "predict_timeout", int(v)))
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button.clicked.connect(self.cancel)
        self.problems.problem_activated.connect(self.input.focus_problem)
        self.problems.apply_fixes_requested.connect(self.inputs.apply_fixes)
        self.problems.signature_fix_requested.connect(self.exports.request_signature_fix)
        self.problems.revert_requested.connect(self.inputs.revert_input)
        self.trust.trust_requested.connect(lambda: self.run(ask=True))
        self.trust.revoke_requested.connect(self.safety.revoke_trust)
        self.trust.manage_requested.connect(self.show_trusted_models)
        self.banner.action_clicked.connect(self._on_banner_action)
        self.signature_fix_requested.connect(self.exports.open_signature_editor)

    def _warm_up(self) -> None:
        helper = self.services.input_helper
        task = self.ctx.tasks.start(lambda st: helper.start(), name="start the input helper")
        task.failed.connect(lambda err: setattr(err, "handled", True))
        task2 = self.ctx.tasks.start(_warm_imports, name="warm imports")
        task2.failed.connect(lambda err: setattr(err, "handled", True))

    # ------------------------------------------------------------------ settings
    def _settings(self) -> Settings:
        """The preferences (read-only for screenshots: they never change the user's choices)."""
        return Settings(read_only=self.screenshot_mode)

    def _restore_settings(self) -> None:
        s = self._settings()
        mode = s.predict_mode
        index = self.mode_combo.findData(mode) if mode is not None else -1
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentIndex(max(0, index))
        self.mode_combo.blockSignals(False)
        self.timeout.blockSignals(True)
        self.timeout.setValue(s.predict_timeout or int(DEFAULT_TIMEOUT))
        self.timeout.blockSignals(False)
        self.autorun.blockSignals(True)
        self.autorun.setChecked(s.predict_autorun)
        self.autorun.blockSignals(False)

    # ------------------------------------------------------------------ busy state
    def is_busy(self) -> bool:
        return bool(self._busy) or self.runner.running

    def _begin(self, what: str, text: str = "") -> None:
        self._busy[what] = self._busy.get(what, 0) + 1
        if text:
            self._set_progress_text(text)
        self._update_actions()

    def _end(self, what: str) -> None:
        n = self._busy.get(what, 0) - 1
        if n > 0:
            self._busy[what] = n
        else:
            self._busy.pop(what, None)
        self._update_actions()
        if not self.is_busy():
            self.idle.emit()
            if self._autorun_ending:
                self._finish_autorun()

    def _set_progress_text(self, text: str) -> None:
        self.progress_text.setText(text)

    def _update_actions(self) -> None:
        busy = self.is_busy()
        running = self.runner.running
        self.progress.setVisible(busy)
        if not busy:
            self.progress_text.setText(self._idle_text())
        st = self._state
        doc = self.entry.doc if self.entry is not None else None
        has_doc = doc is not None
        self.open_button.setEnabled(has_doc)
        self.rows_button.setEnabled(has_doc)
        self.example_button.setEnabled(has_doc and doc.saved_input_example_info is not None)
        valid = bool(st and st.check and st.check.result.valid)
        self.run_button.setEnabled(valid and not running and has_doc and doc.root is not None)
        self.cancel_button.setEnabled(busy)
        has_input = bool(st and st.opened)
        has_results = bool(st and st.outcome)
        self.act_export_csv.setEnabled(has_results)
        self.act_export_json.setEnabled(has_results)
        self.act_export_table.setEnabled(has_results)
        self.act_copy_request.setEnabled(has_input)
        self.act_copy_curl.setEnabled(has_input)
        self.act_save_example.setEnabled(has_input and has_doc and doc.root is not None)

    def _idle_text(self) -> str:
        st = self._state
        if st is None or st.opened is None:
            return ""
        if st.check is None:
            return ""
        if not st.check.result.valid:
            return "Fix the problems below to predict."
        if st.outcome is None:
            return "Ready to predict."
        return ""

    # ------------------------------------------------------------------ entry
    def show_entry(self, entry: ModelEntry | None) -> None:
        self.entry = entry
        if entry is None:
            self._state = None
            self._show_state()
            return
        state = self._states.get(entry.key)
        if state is None:
            state = self._states[entry.key] = ModelState(entry.key)
        if self._state is not None and self._state is not state and self.input.params.has_params:
            self._state.params = self.input.params.values()
        self._state = state
        doc = entry.doc
        self.where.show(entry, state)
        if doc is None:
            self._show_state()
            return
        if state.generation != entry.generation:
            state.generation = entry.generation
            state.report = None
            state.scan_failure = None
            self._setup_for_doc(state, doc)
            self._show_state()
            self.safety.start_environment(entry)
            self.safety.start_scan(state)
            if state.opened is not None:
                self.check()
        else:
            self._setup_for_doc(state, doc)
            self._show_state()
        if self._autorun is not None and not self._autorun.started:
            self._autorun.start()

    def _setup_for_doc(self, state: ModelState, doc: Any) -> None:
        sig = doc.signature
        self.input.grid.set_signature(sig)
        self.input.params.set_schema(sig.params if sig is not None else None)
        n = len(sig.params) if sig is not None and sig.params is not None else 0
        self.input.set_params_visible(n > 0, n)
        if state.params is not None or (state.opened and state.opened.params):
            self.input.params.set_values(state.params if state.params is not None else state.opened.params)

    def _model_dir(self) -> str:
        assert self.entry is not None
        doc = self.entry.doc
        return str(doc.root) if doc is not None and doc.root is not None else str(self.entry.path)

    def _can_run(self) -> bool:
        return self.entry is not None and self.entry.doc is not None and self.entry.doc.root is not None

    def _on_entry_removed(self, entry: ModelEntry) -> None:
        self._states.pop(entry.key, None)
        self.services.pool.release(entry.key)
        if self.entry is entry:
            self.show_entry(None)

    # ------------------------------------------------------------------ showing a state
    def _show_state(self) -> None:
        st = self._state
        entry = self.entry
        self.banner.hide()
        if entry is None or st is None:
            self.input.show_placeholder(False)
            self.problems.hide()
            self.results.hide()
            self.trust.show_unavailable("No model selected.")
            self._update_actions()
            return
        if entry.doc is None:
            self.input.show_placeholder(False)
            self.problems.hide()
            self.results.hide()
            state = entry.state.value
            if state == "loading":
                self.trust.show_unavailable("Loading the model…")
            else:
                self.trust.show_unavailable("The model cannot be read.")
                title = entry.error.title if entry.error is not None else "The model cannot be read"
                self._message("error", title, "Fix the model first (see the Overview tab); then "
                              "you can test predictions here.")
            self._update_actions()
            return
        if entry.doc.root is None:
            self._message("info", "Predicting needs a model folder",
                          "This model is a zip archive: inputs are checked against its signature, but "
                          "to predict, extract it first (mlmanager import ARCHIVE DEST).")
        elif st.message is not None:
            level, title, text, details = st.message
            self._message(level, title, text, details=details, remember=False)
        self._show_report(st)
        self.trust.show_environment(self.where.environment_lines(st))
        if st.opened is None:
            self.input.show_placeholder(entry.doc.saved_input_example_info is not None)
        else:
            self._show_input(st.opened)
        self._show_check(st)
        self._show_outcome(st)
        self._update_actions()

    def _show_report(self, st: ModelState) -> None:
        if not self._can_run():
            self.trust.show_unavailable("The model file is checked when it is run; zip archives "
                                        "cannot be run.")
        elif st.report is not None:
            trusted, when = self.safety.trust_info(st.report)
            self.trust.show_report(st.report, trusted, when)
        elif st.scan_failure is not None:
            self.trust.show_unavailable(f"{st.scan_failure.title}: {st.scan_failure.message}")
        else:
            self.trust.show_checking()

    def _column_types(self) -> dict[Any, str]:
        doc = self.entry.doc if self.entry is not None else None
        sig = doc.signature if doc is not None else None
        if sig is None or sig.inputs is None:
            return {}
        out: dict[Any, str] = {}
        for i, spec in enumerate(sig.inputs.specs):
            name = spec.name if spec.name is not None else i
            out[name] = spec.describe().split(": ", 1)[-1]
        return out

    def _show_input(self, opened: OpenedInput) -> None:
        self.input.show_frame(opened.display, opened.row_labels, self._column_types())
        self.input.set_status(None, self._input_text(opened))

    def _input_text(self, opened: OpenedInput, verdict: str = "") -> str:
        shape = f"{opened.rows:,} row{'s' if opened.rows != 1 else ''} × {opened.columns} column{'s' if opened.columns != 1 else ''}"
        origin = {"fixed": " (with fixes)", "rows": ""}.get(opened.origin, "")
        return f"{opened.label}{origin}  ·  {shape}" + (f"  ·  {verdict}" if verdict else "")

    def _show_check(self, st: ModelState) -> None:
        check = st.check
        if st.opened is None or check is None:
            if self.problems.isVisibleTo(self):
                self.problems.hide()
                self._later(self._relayout)
            self.input.highlight([])
            return
        result = check.result
        mode_text = self.mode_combo.itemText(max(0, self.mode_combo.findData(result.mode)))
        mode_text = mode_text[:1].lower() + mode_text[1:]
        if result.valid:
            verdict = f"valid {mode_text}"
            if result.warnings:
                verdict += f" ({len(result.warnings)} warning{'s' if len(result.warnings) != 1 else ''})"
            level = "ok"
        else:
            n = len(result.errors)
            verdict = f"{n} problem{'s' if n != 1 else ''} {mode_text}"
            level = "error"
        self.input.set_status(level, self._input_text(st.opened, verdict))
        problems = [*result.errors, *result.warnings]
        self.input.highlight(problems)
        how = MODE_NOTES.get(result.mode, result.semantics)
        summary = (f"The model would reject this input {how}." if not result.valid else
                   f"The input is accepted {how}" + (", with notes below." if problems else "."))
        self.problems.set_problems(result.errors, result.warnings, list(st.opened.display.columns), summary)
        self.problems.set_revert_visible(st.original is not None)
        visible = bool(problems) or st.original is not None
        if visible != self.problems.isVisibleTo(self):
            self.problems.setVisible(visible)
            self._later(self._relayout)

    def _relayout(self) -> None:
        """Share the height between input, problems and results by what they hold: a short
        input keeps a short table, the rest goes to the problems and the results."""
        total = max(self.split.height(), 300)
        row = self.input.view.verticalHeader().defaultSectionSize()
        st = self._state
        rows = st.opened.rows if st is not None and st.opened is not None else 12
        want_input = 110 + min(max(rows, 3), 14) * row
        show_problems = self.problems.isVisibleTo(self)
        show_results = self.results.isVisibleTo(self)
        if not show_problems and not show_results:
            self.split.setSizes([total, 0, 0])
            return
        n_problems = len(self.problems.problems())
        want_problems = 70 + min(max(n_problems, 1), 6) * 44 if show_problems else 0
        input_h = min(want_input, int(total * (0.4 if show_results else 0.6)))
        if not show_results:  # the problems take the rest
            self.split.setSizes([input_h, total - input_h, 0])
            return
        problems_h = min(want_problems, int(total * 0.3))
        self.split.setSizes([input_h, problems_h, max(total - input_h - problems_h, 0)])

    def _show_outcome(self, st: ModelState) -> None:
        outcome = st.outcome
        if outcome is None or outcome.table is None:
            if not self.results.isVisibleTo(self):
                return
            pending = st.opened is not None and (st.check is None or st.check.result.valid)
            if pending and not self.results.is_stale:
                # new results are on their way: keep the panel (greyed) instead of hiding and
                # showing it again, which re-lays out the whole tab (the chart is costly)
                self.results.set_stale("Waiting for the new predictions…")
            elif not pending:
                self.results.hide()
                self.results.clear()
                self._later(self._relayout)
            return
        n = len(outcome.predictions)
        r = outcome.result
        header = (f"{n:,} prediction{'s' if n != 1 else ''} in {outcome.seconds:.2f} s "
                  f"(model {r.predict_seconds:.2f} s)")
        if outcome.info.trusted:
            header += "  ·  trusted model"
        if outcome.ran_by is not None:
            header += f"\nRan by {outcome.ran_by.text()}"
        warnings = [w.message for w in r.warnings]
        labels = st.opened.row_labels if st.opened is not None and outcome.note is None else None
        self.results.show_table(outcome.table, outcome.prediction_columns, header=header,
                                note=outcome.note, row_labels=labels)
        if not self.results.isVisibleTo(self):
            self.results.show()

        def current() -> bool:
            return st.outcome is outcome and st is self._state

        def layout() -> None:
            if current():
                self._relayout()
                self._later(columns)

        def columns() -> None:
            if current():
                self.results.show_table_details()
                self._later(summary)

        def summary() -> None:
            if current():
                self.results.show_summary(outcome.summaries, warnings)

        # four slices on four turns of the event loop (table, heights, columns, chart): a
        # 100,000-row result never holds the GUI thread for the sum of them
        self._later(layout)

    def _later(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on a later event-loop turn (counts as busy until then), so that a big
        update is painted in slices instead of holding the GUI thread in one go."""
        self._begin("show")

        def go() -> None:
            try:
                fn()
            finally:
                self._end("show")

        later(go)

    def _message(self, level: str, title: str, text: str, *, details: str = "",
                 action: tuple[str, Callable[[], None]] | None = None, remember: bool = True) -> None:
        if action is None and details:
            action = ("Details…", lambda: self.ctx.prompter.error(self, title, text, details))
        self._banner_action = action[1] if action else None
        self.banner.show_message(level, title, text, action[0] if action else None)
        if remember and self._state is not None:
            self._state.message = (level, title, text, details)

    def _clear_message(self) -> None:
        self.banner.hide()
        self._banner_action = None
        if self._state is not None:
            self._state.message = None

    def _on_banner_action(self) -> None:
        if self._banner_action is not None:
            self._banner_action()

    # ------------------------------------------------------------------ run
    def run(self, ask: bool = True, auto: bool = False) -> bool:
        """Predict the checked input in the model's worker; False when it cannot start now."""
        st = self._state
        if st is None or self.entry is None or self.entry.doc is None or self.runner.running:
            return False
        if not self._can_run():
            self._message("info", "Predicting needs a model folder",
                          "Extract the zip archive first (mlmanager import ARCHIVE DEST).")
            self._finish_autorun()
            return False
        check = st.check
        if st.opened is None or check is None or not check.result.valid:
            if not auto:
                self._message("info", "Nothing to predict yet", "Load an input that passes the check first.")
            return False
        report = st.report
        if report is None:
            if st.scan_failure is not None:
                self._message("error", st.scan_failure.title, st.scan_failure.message,
                              details=st.scan_failure.details)
                self._finish_autorun()
                return False
            self._pending_run = ask
            self.safety.start_scan(st)
            self._set_progress_text("Checking the model file before the first run…")
            return False
        trusted = self.safety.ensure_trust(report, ask=ask)
        if trusted is None:
            self._finish_autorun()
            return False
        self._clear_message()
        st.outcome = None
        if self.results.isVisibleTo(self):
            self.results.set_stale("Predicting…")
        opened = st.opened
        request = RunRequest(
            model_key=st.key, model_dir=self._model_dir(), data=check.data, params=check.result.params,
            trusted=trusted, timeout=float(self.timeout.value()), rows=opened.rows,
            join_with=opened.display, where=self.where.current(),
        )
        self._run_token = self._token
        started = self.runner.run(request)
        if started:
            self._set_progress_text("Starting the worker…")
            self._update_actions()
        return started

    def cancel(self) -> None:
        """Stop whatever runs: the prediction (kills the worker) or reading/checking the input."""
        if self.runner.running:
            self.runner.cancel()
        for task in list(self.ctx.tasks.active):
            if task.name in ("read input", "check input"):
                task.cancel()

    def _on_run_finished(self, outcome: RunOutcome) -> None:
        st = self._states.get(outcome.model_key)
        self._update_actions()
        if st is None:
            return
        if self._run_token != self._token and st is self._state:
            self._finish_autorun()  # the input changed meanwhile: these results belong to the old one
            return
        st.outcome = outcome
        if st is self._state:
            self._show_outcome(st)
            self._update_actions()
            n = len(outcome.predictions)
            self.ctx.status(f"Predicted {n:,} row{'s' if n != 1 else ''} in {outcome.seconds:.2f} s")
        self.run_finished.emit(outcome)
        if not self.is_busy():
            self.idle.emit()
        self._finish_autorun()

    def _on_run_failed(self, failure: RunFailure) -> None:
        st = self._states.get(failure.model_key) or self._state
        self._update_actions()
        if st is not None and st is self._state:
            action = None
            if failure.kind == "refused" and failure.report is not None:
                st.report = failure.report
                self._show_report(st)
                if failure.report.needs_trust:
                    action = ("Trust and run…", lambda: self.run(ask=True))
            elif failure.kind == "env_not_built":
                action = ("Build it and predict…", self.where.build_and_run)
            elif (failure.mismatch or failure.kind == "missing_dependency") and failure.where != "model":
                action = ("Predict in the model's environment…", self.where.build_and_run)
            self._message(failure.level, failure.title, failure.message, details=failure.details,
                          action=action)
            self.ctx.status(failure.title)
        self.run_failed.emit(failure)
        if not self.is_busy():
            self.idle.emit()
        self._finish_autorun()

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self.entry is not None and self.entry.doc is not None and input_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = input_paths(event.mimeData())
        if not paths or self.entry is None or self.entry.doc is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.load_input_file(paths[0])
        if len(paths) > 1:
            self.ctx.status(f"Loaded {paths[0].name}; one input at a time, the other files were left out")

    # ------------------------------------------------------------------ autorun (screenshots)
    def request_autorun(self, job: AutoRun) -> None:
        self._autorun = job
        if self.entry is not None and self.entry.doc is not None:
            job.start()

    def _finish_autorun(self) -> None:
        """The autorun flow reached its end: report it once nothing runs any more."""
        job = self._autorun
        if job is None or not job.started:
            return
        if self.is_busy():
            self._autorun_ending = True  # finished by _end() once idle
            return
        self._autorun = None
        self._autorun_ending = False
        job.finish()

    # -- the controllers' actions, on the page (menus, tests and other tabs call them here) --

    def load_input_file(self, path: str | Path, *, encoding: str = "utf-8") -> None:
        return self.inputs.load_input_file(path, encoding=encoding)

    def use_example(self) -> None:
        return self.inputs.use_example()

    def show_grid(self) -> None:
        return self.inputs.show_grid()

    def use_grid_rows(self) -> None:
        return self.inputs.use_grid_rows()

    def mode(self) -> str:
        return self.inputs.mode()

    def set_mode(self, mode: str) -> None:
        return self.inputs.set_mode(mode)

    def check(self) -> None:
        return self.inputs.check()

    def show_trusted_models(self) -> TrustedModelsDialog | None:
        return self.safety.show_trusted_models()

    def export_predictions_as(self, fmt: str, path: str | None = None) -> None:
        return self.exports.export_predictions_as(fmt, path)

    def export_table_as(self, path: str | None = None) -> None:
        return self.exports.export_table_as(path)

    def copy_request(self, curl: bool = False) -> None:
        return self.exports.copy_request(curl)

    def save_as_example(self) -> None:
        return self.exports.save_as_example()


__all__ = ["AutoRun", "ModelState", "PredictPage", "PredictServices", "prepare_for_screenshot"]
