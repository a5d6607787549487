"""The Predict tab's safety flow: scan, environment check, trust (ask, remember, revoke)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlmanager.core.environments.requirements import check_environment
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.safety import SAFE_LISTED, may_load
from mlmanager.ui.pages.predict.run_controller import (
    ScanOutcome,
)
from mlmanager.ui.pages.predict.trust_panel import (
    TrustedModelsDialog,
    environment_lines,
    open_trust_store,
    short_reason,
    trust_question,
)

if TYPE_CHECKING:
    from mlmanager.core.safety import SafetyReport, TrustStore
    from mlmanager.ui.pages.predict.state import ModelState
    from mlmanager.ui.store import ModelEntry
    from mlmanager.ui.tasks import TaskState

log = logging.getLogger(__name__)


ENV_CACHE_KEY = "predict.environment"


def _environment_task(state: TaskState, doc: Any) -> list[str]:
    try:
        return environment_lines(check_environment(doc))
    except MlmanagerError as exc:
        return [f"The environment files cannot be read: {exc}"]



class SafetyController:
    """Safety for ``page`` (a :class:`PredictPage`): the scan of the model file, trust (asked, remembered, revoked) and the environment check."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def _trust_store(self) -> TrustStore | None:
        if self.page._store is None and self.page._store_error is None:
            try:
                self.page._store = open_trust_store()
            except MlmanagerError as exc:
                self.page._store_error = str(exc)
        return self.page._store

    def _trusted_shas(self) -> frozenset[str]:
        store = self._trust_store()
        shas = set(self.page._session_trust)
        if store is not None and not self.page.screenshot_mode:
            shas |= store.trusted_shas()
        return frozenset(shas)

    def trust_info(self, report: SafetyReport) -> tuple[bool, str | None]:
        sha = report.sha256 or ""
        if sha in self.page._session_trust:
            return True, None
        store = self._trust_store()
        if store is not None and not self.page.screenshot_mode and store.is_trusted(sha):
            return True, store.entries().get(sha, {}).get("date")
        return False, None

    def start_scan(self, state: ModelState) -> None:
        if not self.page._can_run() or state.scanning:
            return
        state.scanning = True
        self.page._begin("scan")
        self.page.runner.scan(state.key, self.page._model_dir())

    def on_scanned(self, outcome: ScanOutcome) -> None:
        state = self.page._states.get(outcome.model_key)
        if state is not None:
            state.scanning = False
            state.report = outcome.report
            state.scan_failure = outcome.failure
        self.page._end("scan")
        if state is None or state is not self.page._state:
            return
        self.page._show_report(state)
        report = outcome.report
        if report is not None:
            trusted = self._trusted_shas() & {report.sha256 or ""}
            if report.classification == "SAFE-LISTED" or trusted:
                self.page.runner.prewarm(state.key, self.page._model_dir(), frozenset(trusted))
        if self.page._pending_run is not None:
            ask = self.page._pending_run
            self.page._pending_run = None
            self.page.run(ask=ask)

    def start_environment(self, entry: ModelEntry) -> None:
        cached = entry.cache.get(ENV_CACHE_KEY)
        state = self.page._states.get(entry.key)
        if cached is not None:
            if state is not None:
                state.env_lines = cached
            return
        self.page._begin("environment")
        task = self.page.ctx.tasks.start(_environment_task, entry.doc, name="environment check")
        task.succeeded.connect(lambda lines, e=entry: self._env_done(e, lines))
        task.failed.connect(lambda err: self.page.inputs.task_failed(err, "environment"))

    def _env_done(self, entry: ModelEntry, lines: list[str]) -> None:
        self.page._end("environment")
        entry.cache[ENV_CACHE_KEY] = lines
        state = self.page._states.get(entry.key)
        if state is not None:
            state.env_lines = lines
            if state is self.page._state:
                self.page.trust.show_environment(self.page.where.environment_lines(state))

    def ensure_trust(self, report: SafetyReport, ask: bool) -> frozenset[str] | None:
        if report.classification == SAFE_LISTED:
            return frozenset()
        if not report.needs_trust:
            _ok, why = may_load(report, False)
            self.page._message("error", "This model file is never loaded", why)
            return None
        sha = report.sha256 or ""
        if sha in self._trusted_shas():
            return frozenset({sha})
        if self.page._autorun is not None and self.page._autorun.trust:
            self.page._session_trust.add(sha)  # --trust: for this run only, nothing is stored
            if self.page._state is not None:
                self.page._show_report(self.page._state)
            return frozenset({sha})
        if not ask:
            self.page._message("warning", "The model runs only if you trust it",
                          f"{_capital(short_reason(report))}: see its imports in the safety panel. Trusting runs "
                          "the model's code with your permissions.",
                          action=("Trust and run…", lambda: self.page.run(ask=True)))
            return None
        path = str(Path(self.page._model_dir()) / (report.file or ""))
        if not self.page.ctx.prompter.confirm(self.page, "Run code from this model?", trust_question(report, path)):
            self.page._message("info", "Not run", "The model was not trusted, so it did not run.")
            return None
        self._remember_trust(report, path)
        return frozenset({sha})

    def _remember_trust(self, report: SafetyReport, path: str) -> None:
        sha = report.sha256 or ""
        store = self._trust_store()
        if self.page.screenshot_mode or store is None:
            self.page._session_trust.add(sha)
            if store is None and self.page._store_error:
                self.page._message("warning", "Trust is remembered for this session only",
                              f"The trust store cannot be read: {self.page._store_error}")
        else:
            try:
                store.trust(sha, path=path, classification=report.classification)
            except MlmanagerError as exc:
                self.page._session_trust.add(sha)
                self.page._message("warning", "Trust is remembered for this session only", str(exc))
        if self.page._state is not None:
            self.page._show_report(self.page._state)
        if self.page._dialog is not None:
            self.page._dialog.refresh()

    def revoke_trust(self, sha: str) -> None:
        self.page._session_trust.discard(sha)
        store = self._trust_store()
        if store is not None:
            try:
                store.revoke(sha)
            except MlmanagerError as exc:
                self.page._message("error", "Trust could not be revoked", str(exc))
        for state in self.page._states.values():
            if state.report is not None and state.report.sha256 == sha:
                self.page.services.pool.release(state.key)  # the trusted model must not stay loaded
        if self.page._state is not None:
            self.page._show_report(self.page._state)
        self.page.ctx.status("Trust revoked: the model asks again before it runs")

    def show_trusted_models(self) -> TrustedModelsDialog | None:
        store = self._trust_store()
        if store is None:
            self.page._message("error", "The trust store cannot be read", self.page._store_error or "")
            return None
        if self.page._dialog is None:
            self.page._dialog = TrustedModelsDialog(store, self.page)
            self.page._dialog.revoked.connect(self.revoke_trust)
        self.page._dialog.refresh()
        self.page._dialog.show()
        self.page._dialog.raise_()
        return self.page._dialog

def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


