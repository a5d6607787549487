"""Inference for the signature page: from a data file (dialog or drag-and-drop), from the input
example, and outputs by predicting in the isolated worker. The page holds it as ``page.inference``
(drag-and-drop of a data file stays on the page, which is the widget).

Every proposal is shown in :class:`InferDialog` (through the prompter seam) and applied as ONE
undoable step; reading data and predicting run on the task pool.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlmanager.core.safety import may_load
from mlmanager.core.signature.edits import ReplaceSignature
from mlmanager.ui.pages.signature.dialogs import run_dialog
from mlmanager.ui.pages.signature.document import SignatureDocument
from mlmanager.ui.pages.signature.infer_dialog import InferDialog
from mlmanager.ui.pages.signature.jobs import (
    DATA_FILTER,
    Proposal,
    infer_example_job,
    infer_file_job,
    predict_job,
    scan_job,
    worker_unavailable_reason,
)


class InferenceController:
    """Inferring a signature from a data file or the input example, and the outputs from a
    prediction in the worker, for ``page`` (a :class:`SignaturePage`)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def _watch(self, task: Any, done: Callable[[Any], None], what: str) -> None:
        def failed(err: Any) -> None:
            err.handled = True
            if err.expected:
                self.page.ctx.prompter.warning(self.page, what, str(err))
            else:
                self.page.ctx.prompter.error(self.page, what, str(err), err.details)

        task.succeeded.connect(done)
        task.failed.connect(failed)

    def infer_from_file(self, path: str | Path | None = None, section: str = "inputs") -> Any:
        """Infer from a data file (asks for it when ``path`` is None); returns the task."""
        if self.page.document is None:
            return None
        if path is None:
            title = "Infer outputs from a predictions file" if section == "outputs" else "Infer a signature from a data file"
            start = str(self.page.entry.folder) if self.page.entry is not None else ""
            path = self.page.ctx.prompter.open_file(self.page, title, start, DATA_FILTER)
            if not path:
                return None
        doc = self.page.document
        self.page.ctx.status(f"Inferring a signature from {Path(path).name}…")
        task = self.page.ctx.tasks.start(infer_file_job, str(path), section, name=f"infer {Path(path).name}")
        self._watch(task, lambda proposal: self.show_proposal(doc, proposal),
                    f"Cannot infer a signature from {Path(path).name}")
        return task

    def infer_from_example(self) -> Any:
        if self.page.document is None or self.page.entry is None:
            return None
        doc = self.page.document
        self.page.ctx.status("Inferring a signature from the input example…")
        task = self.page.ctx.tasks.start(infer_example_job, str(self.page.entry.path), name="infer from input example")
        self._watch(task, lambda proposal: self.show_proposal(doc, proposal),
                    "Cannot infer a signature from the input example")
        return task

    def show_proposal(self, doc: SignatureDocument, proposal: Proposal) -> bool:
        """Show the proposal dialog; apply the chosen sections as one undo step. True if applied."""
        if doc.key not in self.page._docs:
            return False
        entry = self.page.ctx.store.get(doc.key)
        dlg = InferDialog(doc.sig, proposal, worker_unavailable_reason(entry), self.page)
        dlg.predict_requested.connect(lambda: self.predict_outputs(dlg, entry, proposal))
        accepted = run_dialog(self.page.ctx.prompter, dlg)
        dlg.setProperty("closed", True)
        for task in self.page._predict_tasks:
            task.cancel()
        merged = dlg.merged() if accepted else None
        dlg.deleteLater()
        if merged is None:
            return False
        return doc.push(ReplaceSignature(merged), f"Infer signature from {proposal.source}")

    def predict_outputs(self, dlg: InferDialog, entry: Any, proposal: Proposal) -> None:
        """Scan the model in the worker, ask for trust if it runs code, predict, infer outputs."""
        reason = worker_unavailable_reason(entry)
        if reason is not None or proposal.data is None:
            dlg.set_predict_status(reason or "No input data to predict from", busy=False)
            return
        model_dir = str(entry.path)
        dlg.set_predict_status("Checking the model file in the worker…", busy=True)
        task = self.page.ctx.tasks.start(scan_job, self.page.worker_factory, model_dir, name="scan model")
        self.page._predict_tasks.append(task)
        task.finished.connect(lambda: self.page._predict_tasks.remove(task) if task in self.page._predict_tasks else None)
        task.succeeded.connect(lambda result: self._after_scan(dlg, model_dir, proposal, result))
        task.failed.connect(lambda err: self._predict_failed(dlg, err))

    def _after_scan(self, dlg: InferDialog, model_dir: str, proposal: Proposal, result: Any) -> None:
        client, report = result
        if dlg.property("closed"):
            client.close()
            return
        ok, reason = may_load(report, trusted=False)
        trusted: tuple[str, ...] = ()
        if not ok:
            if not (report.needs_trust and report.sha256):
                client.close()
                dlg.set_predict_status(reason, busy=False)
                return
            question = (f"{reason}\n\nPredicting runs code from this model file in the isolated "
                        "worker process. Only continue if you trust where the model came from.")
            if not self.page.ctx.prompter.confirm(self.page, "Run the model's code?", question):
                client.close()
                dlg.set_predict_status("Not run: the model file is not trusted", busy=False)
                return
            trusted = (report.sha256,)
        dlg.set_predict_status("Predicting in the worker…", busy=True)
        task = self.page.ctx.tasks.start(predict_job, client, model_dir, trusted, proposal.data, name="predict outputs")
        self.page._predict_tasks.append(task)
        task.finished.connect(lambda: self.page._predict_tasks.remove(task) if task in self.page._predict_tasks else None)
        task.succeeded.connect(lambda res: None if dlg.property("closed") else
                               dlg.set_outputs(res[0], res[1], "the model's predictions"))
        task.failed.connect(lambda err: self._predict_failed(dlg, err))

    def _predict_failed(self, dlg: InferDialog, err: Any) -> None:
        err.handled = True
        if not dlg.property("closed"):
            dlg.set_predict_status(f"Prediction failed: {err}", busy=False)

