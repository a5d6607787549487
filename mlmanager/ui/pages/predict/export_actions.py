"""The Predict tab's outward actions: exports, copies, the example save, the signature editor."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlmanager.core.signature.schema import Issue
from mlmanager.predict.input_helper import InputHelperError
from mlmanager.ui.model_view import ModelView
from mlmanager.ui.pages.predict import export
from mlmanager.ui.pages.predict.problems_view import SignatureFixRequest
from mlmanager.ui.settings import Settings

if TYPE_CHECKING:
    from mlmanager.ui.tasks import TaskError, TaskState

log = logging.getLogger(__name__)



class ExportController:
    """Exports and hand-offs for ``page`` (a :class:`PredictPage`): predictions and tables to files, the request to the clipboard, the input as the model example, signature fixes to the Signature tab."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def request_signature_fix(self, request: SignatureFixRequest) -> None:
        self.page.signature_fix_requested.emit(request)

    def open_signature_editor(self, request: SignatureFixRequest) -> None:
        """Switch to the signature tab and hand it the requested change (when it takes it)."""
        change = (f"make {request.column!r} optional" if request.make_optional
                  else f"declare {request.column!r} as {request.to_type}")
        view = self.page.parentWidget()
        while view is not None and not isinstance(view, ModelView):
            view = view.parentWidget()
        if view is not None and "signature" in view.page_keys():
            view.set_current_page("signature")
            page = view.page("signature")
            handler = getattr(page, "show_fix", None)
            if callable(handler):  # the editor applies or proposes the change itself
                handler(request)
                return
            self._reveal_in_signature(page, request)
            self.page.ctx.status(f"Signature editor: {change} ({request.reason})")
            return
        self.page._message("info", "Change the signature", f"To fix this in the signature: {change}. "
                      "The signature editor is not available in this build.")

    def _reveal_in_signature(self, page: Any, request: SignatureFixRequest) -> None:
        """Select the column's row in the signature editor (its ``reveal_issue`` API)."""
        reveal = getattr(page, "reveal_issue", None)
        doc = self.page.entry.doc if self.page.entry is not None else None
        sig = doc.signature if doc is not None else None
        if not callable(reveal) or sig is None or sig.inputs is None:
            return
        names = [str(s.name) for s in sig.inputs.specs]
        if str(request.column) not in names:
            return
        field = "required" if request.make_optional else "type"
        reveal(Issue("inputs", names.index(str(request.column)), field, request.reason,
                     fatal=False, column=request.column))

    def _ask_save_path(self, title: str, suggested: str, filter_: str) -> str | None:
        """The prompter's save dialog when it has one; else Qt's (never in tests)."""
        ask = getattr(self.page.ctx.prompter, "save_file", None)
        if callable(ask):
            return ask(self.page, title, suggested, filter_)
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self.page, title, suggested, filter_)
        return path or None

    def _suggested(self, suffix: str, what: str = "predictions") -> str:
        st = self.page._state
        base = Path(st.opened.path).stem if st and st.opened and st.opened.path else what

        return str(Path(Settings().last_dir) / f"{base}.{what}.{suffix}" if base != what else
                   Path(Settings().last_dir) / f"{what}.{suffix}")

    def export_predictions_as(self, fmt: str, path: str | None = None) -> None:
        st = self.page._state
        if st is None or st.outcome is None:
            return
        path = path or self._ask_save_path("Save predictions", self._suggested(fmt),
                                           "CSV (*.csv)" if fmt == "csv" else "JSON (*.json)")
        if not path:
            return
        predictions = st.outcome.result.predictions
        self._background(lambda s: export.export_predictions(predictions, path), f"Saved {path}")

    def export_table_as(self, path: str | None = None) -> None:
        st = self.page._state
        if st is None or st.outcome is None:
            return
        path = path or self._ask_save_path("Save the table", self._suggested("csv", "results"), "CSV (*.csv);;JSON (*.json)")
        if not path:
            return
        table = st.outcome.table
        self._background(lambda s: export.export_table(table, path), f"Saved {path}")

    def copy_request(self, curl: bool = False) -> None:
        st = self.page._state
        if st is None or st.opened is None:
            return
        opened, reopen, params = st.opened, st.reopen, self.page.inputs.params()

        def make(state: TaskState) -> str:
            helper = self.page.services.input_helper
            try:
                text = helper.request_body_text(opened.input_id, params)
            except InputHelperError:
                if reopen is None:
                    raise
                text = helper.request_body_text(reopen(helper).input_id, params)
            return export.curl_for(text) if curl else text

        def done(text: str) -> None:
            export.copy_text(text)
            self.page.last_copied = text
            kb = len(text.encode("utf-8")) / 1024
            self.page.ctx.status(f"Copied the input as {'a curl command' if curl else 'an MLflow request'} ({kb:,.1f} KiB)")

        self._background(make, None, done)

    def save_as_example(self) -> None:
        st = self.page._state
        entry = self.page.entry
        if st is None or st.opened is None or entry is None or entry.doc is None:
            return
        check = st.check
        data = check.data if check is not None and check.result.valid and _example_type_ok(check.data) else st.opened.display
        rows = len(data) if hasattr(data, "__len__") else 0
        if rows > export.MAX_EXAMPLE_ROWS:
            if not self.page.ctx.prompter.confirm(
                    self.page, "Save an input example",
                    f"The input has {rows:,} rows; an input example is usually a few. Save the first "
                    f"{export.MAX_EXAMPLE_ROWS} rows as the model's input example?"):
                return
            data = data[: export.MAX_EXAMPLE_ROWS]
        params = check.result.params if check is not None and check.result.valid else self.page.inputs.params()
        doc = entry.doc

        def done(_doc: Any) -> None:
            self.page.ctx.status("Saved input_example.json and serving_input_example.json; MLmodel updated")
            self.page.ctx.store.reload(entry)

        self._background(lambda s: export.save_input_example(doc, data, params or None), None, done,
                         title="The input example was not saved")

    def _background(self, fn: Callable[[TaskState], Any], status: str | None,
                    done: Callable[[Any], None] | None = None, title: str = "Export failed") -> None:
        self.page._begin("export")
        task = self.page.ctx.tasks.start(fn, name="export")

        def ok(result: Any) -> None:
            self.page._end("export")
            if status:
                self.page.ctx.status(status)
            if done is not None:
                done(result)

        def failed(err: TaskError) -> None:
            err.handled = True
            self.page._end("export")
            self.page._message("error", title, str(err), details="" if err.expected else err.details)

        task.succeeded.connect(ok)
        task.failed.connect(failed)

def _example_type_ok(data: Any) -> bool:
    return type(data).__name__ in ("DataFrame", "ndarray")


