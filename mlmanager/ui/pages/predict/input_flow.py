"""The Predict tab's input flow: open an input in the helper, check it, apply fixes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlmanager.core.inputs.fixes import Fix
from mlmanager.predict.input_helper import (
    CheckArgs,
    CheckOutcome,
    InputHelper,
    InputHelperError,
    OpenedInput,
)
from mlmanager.predict.input_helper_child import UNREADABLE_SIGNATURE
from mlmanager.ui.pages.predict.input_panel import INPUT_FILTER
from mlmanager.ui.pages.predict.state import ModelState, Opener
from mlmanager.ui.settings import Settings

if TYPE_CHECKING:
    from mlmanager.ui.tasks import TaskError, TaskState



def _helper_call(state: TaskState, helper: InputHelper, fn: Callable[[InputHelper], Any]) -> Any:
    """Run one helper call; expected failures come back as the result (an InputHelperError)."""
    state.on_cancel(helper.cancel)
    try:
        return fn(helper)
    except InputHelperError as exc:
        return exc


def _check_call(state: TaskState, helper: InputHelper, opened: OpenedInput, reopen: Opener | None,
                check: CheckArgs) -> Any:
    state.on_cancel(helper.cancel)
    args = (check.model_dir, check.mode, check.params)
    try:
        try:
            return opened, helper.check(opened.input_id, *args, ignore_signature=check.ignore_signature)
        except InputHelperError as exc:
            if exc.kind not in ("input", "crashed") or reopen is None:
                raise
            again = reopen(helper)  # the helper restarted (cancel, crash): open the input again
            return again, helper.check(again.input_id, *args, ignore_signature=check.ignore_signature)
    except InputHelperError as exc:
        return exc



class InputController:
    """The input and its check for ``page`` (a :class:`PredictPage`): open a file, the example or typed rows in the input helper, check them, apply fixes."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def ask_open_input(self) -> None:
        start = Settings().last_dir
        path = self.page.ctx.prompter.open_file(self.page, "Open a model input", start, INPUT_FILTER)
        if path:
            self.load_input_file(path)

    def load_input_file(self, path: str | Path, *, encoding: str = "utf-8") -> None:
        p = str(path)
        self.page._last_path = p

        def opener(helper: InputHelper, check: CheckArgs | None = None) -> OpenedInput:
            return helper.open_file(p, encoding=encoding, check=check)

        self._open_input(opener, f"Reading {Path(p).name}…", own_params=True)

    def use_example(self) -> None:
        if self.page.entry is None or self.page.entry.doc is None:
            return
        model_dir = self.page._model_dir()

        def opener(helper: InputHelper, check: CheckArgs | None = None) -> OpenedInput:
            return helper.open_example(model_dir, check=check)

        self._open_input(opener, "Reading the input example…", own_params=True)

    def show_grid(self) -> None:
        self.page.input.tabs.setCurrentWidget(self.page.input.grid)
        st = self.page._state
        grid = self.page.input.grid
        if grid.model.rowCount() == 1 and st is not None and st.opened is not None:
            rows = st.opened.display.head(100).values.tolist()
            if grid.model.layout_info.tensor_dtype is None and grid.model.columns:
                names = [c.name for c in grid.model.columns]
                frame = st.opened.display
                cols = [frame[n] if n in frame.columns else None for n in names]
                rows = [[c.iloc[i] if c is not None else None for c in cols] for i in range(min(100, len(frame)))]
            grid.set_rows(rows)

    def use_grid_rows(self) -> None:
        grid = self.page.input.grid.model
        layout = grid.layout_info
        rows = grid.rows_json()
        names = [c.name for c in layout.columns]
        types = [c.signature_type for c in layout.columns]
        tensor = layout.tensor_dtype

        def opener(helper: InputHelper, check: CheckArgs | None = None) -> OpenedInput:
            return helper.open_rows(names, types, rows, tensor_dtype=tensor, check=check)

        self._open_input(opener, "Checking the typed rows…")

    def apply_fixes(self, fixes: list[Fix]) -> None:
        st = self.page._state
        if st is None or st.opened is None or not fixes:
            return
        base, base_reopen = st.opened, st.reopen  # fixes stack on the input shown now
        fix_list = [f.to_json() for f in fixes]
        base_id = base.input_id

        def opener(helper: InputHelper, check: CheckArgs | None = None) -> OpenedInput:
            return helper.open_fixed(base_id, fix_list, check=check)

        def reopen(helper: InputHelper, check: CheckArgs | None = None) -> OpenedInput:
            again = base_reopen(helper) if base_reopen is not None else base
            return helper.open_fixed(again.input_id, fix_list, check=check)

        self._open_input(opener, "Applying the fixes…", keep_original=True, reopen=reopen)

    def revert_input(self) -> None:
        st = self.page._state
        if st is None or st.original is None:
            return
        st.opened, st.reopen = st.original, st.original_reopen
        st.original = st.original_reopen = None
        st.check = st.outcome = None
        self.page._show_state()
        self.check()

    def _open_input(self, opener: Opener, text: str, *, keep_original: bool = False,
                    reopen: Opener | None = None, own_params: bool = False) -> None:
        """Open an input in the helper and check it in the same round trip.

        ``own_params``: the input brings its own params (a file, the example), so it is checked
        with them (the form then shows them); typed rows and fixed inputs use the form's.
        """
        if self.page.entry is None or self.page._state is None or self.page.entry.doc is None:
            return
        self.page._token += 1
        self.page._check_token += 1
        token, check_token, key = self.page._token, self.page._check_token, self.page._state.key
        check = CheckArgs(self.page._model_dir(), self.mode(), None if own_params else self.params(),
                          self.page._state.ignore_signature)
        self.page._begin("input", text)
        task = self.page.ctx.tasks.start(_helper_call, self.page.services.input_helper, lambda helper: opener(helper, check),
                                    name="read input")
        task.succeeded.connect(
            lambda res: self._input_done(token, check_token, key, res, keep_original, reopen or opener))
        task.failed.connect(lambda err: self.task_failed(err, "input"))

    def _input_done(self, token: int, check_token: int, key: str, res: Any, keep_original: bool,
                    reopen: Opener) -> None:
        self.page._end("input")
        st = self.page._states.get(key)
        if st is None or token != self.page._token:
            return
        if isinstance(res, InputHelperError):
            if st is self.page._state:
                self._input_error(res)
            self.page._finish_autorun()
            return
        if keep_original:
            if st.original is None:
                st.original, st.original_reopen = st.opened, st.reopen
        else:
            st.original = st.original_reopen = None
        st.opened, st.reopen = res, reopen
        st.check = None
        st.outcome = None
        st.message = None
        if st is not self.page._state:
            return
        if res.origin in ("file", "example") and self.page.input.params.has_params:
            self.page.input.params.set_values(res.params)  # the input's own params, else the defaults
            st.params = self.page.input.params.values()
        self.page._clear_message()
        self.page._show_state()
        if res.notes:
            self.page._message("warning", "Some fixes could not be applied", "\n".join(res.notes))
        self.page.input_loaded.emit(res)

        def check_it() -> None:
            if st is not self.page._state or st.opened is not res:
                return  # another model or input came first
            if res.checked is not None and check_token == self.page._check_token:
                self._apply_check(st, res.checked)
            else:
                self.check()

        # on the next turn: the new rows are painted first (100,000 rows: two slices, not one)
        self.page._later(check_it)

    def _input_error(self, exc: InputHelperError) -> None:
        if exc.kind == "cancelled":
            self.page._message("info", "Cancelled", "Reading the input was cancelled.")
            return
        action = None
        last = self.page._last_path
        if exc.retry_encoding and last:
            enc = exc.retry_encoding
            action = (f"Retry as {enc}", lambda: self.load_input_file(last, encoding=enc))
        title = "The input cannot be read" if exc.expected else "Reading the input failed"
        self.page._message("error", title, exc.message, details=exc.details, action=action)

    def task_failed(self, err: TaskError, what: str) -> None:
        err.handled = True
        self.page._end(what)
        self.page._message("error", "Something went wrong", str(err), details=err.details)
        self.page._finish_autorun()

    def mode(self) -> str:
        return str(self.page.mode_combo.currentData() or "serving")

    def set_mode(self, mode: str) -> None:
        index = self.page.mode_combo.findData(mode)
        if index >= 0:
            self.page.mode_combo.setCurrentIndex(index)

    def params(self) -> dict[str, Any] | None:
        return self.page.input.params.values() if self.page.input.params.has_params else None

    def on_mode_changed(self, _index: int) -> None:
        self.page._settings().predict_mode = self.mode()
        self.check()

    def ignore_signature(self) -> None:
        """Check (and predict) the input without the model's unreadable signature, as
        ``predict --ignore-signature`` does: the user's explicit choice, per model."""
        if self.page._state is None:
            return
        self.page._state.ignore_signature = True
        self.page._clear_message()
        self.check()

    def on_params_changed(self) -> None:
        if self.page._state is not None:
            self.page._state.params = self.page.input.params.values()
        self.check()

    def check(self) -> None:
        """Validate the current input with the chosen semantics (in the input helper)."""
        st = self.page._state
        if st is None or st.opened is None or self.page.entry is None or self.page.entry.doc is None:
            return
        self.page._check_token += 1
        token, key = self.page._check_token, st.key
        self.page._begin("check", "Checking the input against the signature…")
        args = CheckArgs(self.page._model_dir(), self.mode(), self.params(), st.ignore_signature)
        task = self.page.ctx.tasks.start(_check_call, self.page.services.input_helper, st.opened, st.reopen, args,
                                    name="check input")
        task.succeeded.connect(lambda res: self._check_done(token, key, res))
        task.failed.connect(lambda err: self.task_failed(err, "check"))

    def _check_done(self, token: int, key: str, res: Any) -> None:
        self.page._end("check")
        st = self.page._states.get(key)
        if st is None or token != self.page._check_token:
            return
        if isinstance(res, InputHelperError):
            if st is self.page._state:
                self.page._message("error", "The input could not be checked", res.message, details=res.details)
            self.page._finish_autorun()
            return
        opened, outcome = res
        if opened is not st.opened:
            st.opened = opened  # reopened after the helper restarted
        if st is self.page._state:
            self._apply_check(st, outcome)
        else:
            st.check, st.outcome = outcome, None

    def _apply_check(self, st: ModelState, outcome: CheckOutcome) -> None:
        st.check = outcome
        st.outcome = None
        unreadable = next((p for p in outcome.result.errors if p.kind == UNREADABLE_SIGNATURE), None)
        if unreadable is not None:
            self.page._message("error", "The model's signature cannot be read", unreadable.message,
                          action=("Ignore the signature", self.ignore_signature))
        self.page._show_check(st)
        self.page._show_outcome(st)
        self.page._update_actions()
        self.page.checked.emit(outcome)
        if outcome.result.valid:
            if self.page._autorun is not None or self.page.autorun.isChecked():
                self.page.run(ask=False, auto=True)
        else:
            self.page._finish_autorun()

