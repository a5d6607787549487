"""Where the Predict tab runs a model: this app's Python, the model's own environment, or an
interpreter the user picks (``predict.where`` decides the default; this is its Qt adapter).

The default is worked out per model in a task (the environment check and the environment's
state read files and interpreters); a choice the user makes for a model sticks to it. A run
that fails because this app does not match the model offers the model's environment: built
after asking (``EnvironmentBuilds``), then the prediction runs again there.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox

from mlmanager.core.environments.model_state import model_environment_state
from mlmanager.core.environments.requirements import check_environment
from mlmanager.core.errors import MlmanagerError
from mlmanager.predict.session import APP, MODEL
from mlmanager.predict.where import WhereDefault, default_where
from mlmanager.ui.environments.builds import BuildOutcome, environment_builds

if TYPE_CHECKING:
    from mlmanager.ui.tasks import TaskError, TaskState

PICK = "pick"
CACHE_KEY = "predict.where"
PYTHON_VERSION = sys.version.split()[0]


def _where_task(state: TaskState, doc: Any) -> WhereDefault:
    check = check_environment(doc)
    try:
        env_state = model_environment_state(doc)
    except MlmanagerError:
        env_state = None
    return default_where(check, env_state)


def where_combo() -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("where")
    combo.setAccessibleName("Run in")
    combo.setToolTip("Which Python runs the model: this app's, the model's own environment "
                     "(Environment tab), or another interpreter")
    combo.addItem(f"This app's Python ({PYTHON_VERSION})", APP)
    combo.addItem("The model's environment", MODEL)
    combo.addItem("Another Python…", PICK)
    return combo


class WhereController:
    """The "Run in" choice of ``page`` (a :class:`PredictPage`), per model."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.combo: QComboBox = page.where_combo
        self.builds = environment_builds(page.ctx)
        self._previous = 0
        for path in reversed(page._settings().predict_pythons):  # picked before: offered again
            self._add_python(path)
        self.combo.activated.connect(self._on_activated)
        self.builds.environments_changed.connect(self._on_environments_changed)

    # -- the current model's choice ---------------------------------------------------------
    def current(self) -> str:
        """app | model | an interpreter's path, for the model shown."""
        data = self.combo.currentData()
        return str(data) if data and data != PICK else APP

    def show(self, entry: Any, st: Any) -> None:
        """The page shows ``entry`` (its ModelState ``st``): its choice, else its default."""
        self.combo.setItemText(self.combo.findData(MODEL), "The model's environment")
        if st is None or entry is None or entry.doc is None:
            self._select(APP)
            self.page.where_note.setText("")
            return
        if st.where is not None:
            self._select(st.where)
        default = entry.cache.get(CACHE_KEY)
        if isinstance(default, WhereDefault):
            self._apply_default(st, default)
            return
        self.page.where_note.setText("")
        self.page._begin("where")
        task = self.page.ctx.tasks.start(_where_task, entry.doc, name="where to run")
        task.succeeded.connect(lambda d, e=entry, s=st: self._default_read(e, s, d))
        task.failed.connect(lambda err, s=st: self._default_failed(s, err))

    def _default_read(self, entry: Any, st: Any, default: WhereDefault) -> None:
        self.page._end("where")
        entry.cache[CACHE_KEY] = default
        if st is self.page._state:
            self._apply_default(st, default)

    def _default_failed(self, st: Any, err: TaskError) -> None:
        self.page._end("where")
        err.handled = True
        if st is self.page._state and st.where is None:
            self._select(APP)

    def _apply_default(self, st: Any, default: WhereDefault) -> None:
        st.where_default = default
        index = self.combo.findData(MODEL)
        self.combo.setItemText(index, "The model's environment (" + (
            f"Python {default.environment_python})" if default.environment_ready
            else "not built yet)"))
        if st.where is None:
            self._select(default.where)
        self._show_note(st)

    def _show_note(self, st: Any) -> None:
        default = st.where_default
        if default is None:
            self.page.where_note.setText("")
            return
        chosen = self.current()
        if chosen == MODEL and not default.environment_ready:
            text = "The model's environment is not built yet: Predict offers to build it."
        elif chosen == APP and not default.app_matches:
            text = f"This app's Python differs from the model's: {default.reason}."
        elif chosen == MODEL:
            text = f"Runs in the model's own environment: {default.reason}."
        else:
            text = ""
        self.page.where_note.setText(text)
        self.page.where_note.setToolTip(default.reason)
        if st is self.page._state:
            self.page.trust.show_environment(self.environment_lines(st))

    def environment_lines(self, st: Any) -> list[str]:
        """The trust panel's version-skew lines: this app's, unless the model runs elsewhere."""
        where = st.where if st.where is not None else (
            st.where_default.where if st.where_default is not None else APP)
        if where == MODEL and st.where_default is not None and st.where_default.environment_ready:
            return []  # its own environment has the versions it was saved with
        return list(st.env_lines or []) if where == APP else []

    def _select(self, where: str) -> None:
        index = self.combo.findData(where)
        if index < 0 and where not in (APP, MODEL, PICK):
            index = self._add_python(where)
        self.combo.setCurrentIndex(max(index, 0))
        self._previous = self.combo.currentIndex()

    def _add_python(self, path: str) -> int:
        index = self.combo.findData(path)
        if index >= 0:
            return index
        index = self.combo.count() - 1  # before "Another Python…"
        self.combo.insertItem(index, path, path)
        return index

    # -- the user's choice ------------------------------------------------------------------
    def _on_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        st = self.page._state
        if data == PICK:
            path = self.page.ctx.prompter.open_file(
                self.page, "Choose a Python interpreter", "", "Python (python python3* *.exe);;All files (*)")
            if not path:
                self.combo.setCurrentIndex(self._previous)
                return
            data = path
            self._select(path)
            self.page._settings().add_predict_python(path)
        self._previous = self.combo.currentIndex()
        if st is not None:
            st.where = str(data)
            self._show_note(st)
        self.page.ctx.status(f"Predictions now run in {self.combo.currentText()}")

    def choose(self, where: str) -> None:
        """Run the current model in ``where`` from now on (as if the user had picked it)."""
        self._select(where)
        st = self.page._state
        if st is not None:
            st.where = where
            self._show_note(st)

    # -- offering the model's environment --------------------------------------------------
    def build_and_run(self) -> None:
        """Build the model's environment (asking first; reused when built), then predict there."""
        entry = self.page.entry
        if entry is None or entry.doc is None:
            return
        self.choose(MODEL)
        self.page._begin("environment build", "Preparing the model's environment…")
        self.builds.build(self.page.window(), entry.doc.location,
                          then=lambda outcome, e=entry: self._built(e, outcome))

    def _built(self, entry: Any, outcome: BuildOutcome) -> None:
        self.page._end("environment build")
        entry.cache.pop(CACHE_KEY, None)
        if entry is not self.page.entry:
            return
        if outcome.ok:
            self.page._clear_message()
            self.page.run(ask=True)
        elif outcome.error is not None:
            self.page._message("error", "The model's environment could not be built",
                               outcome.error.message, details="\n".join(outcome.error.tried))
        elif outcome.declined:
            self.page._message("info", "Nothing was installed",
                               "The model's environment was not built; predictions run where "
                               "you choose in “Run in”.")

    def _on_environments_changed(self) -> None:
        entry = self.page.entry
        store = self.page.ctx.store
        for e in (store.entries() if store is not None else [entry] if entry is not None else []):
            e.cache.pop(CACHE_KEY, None)
        for st in self.page._states.values():
            st.where_default = None
        if entry is not None and self.page._state is not None:
            self.show(entry, self.page._state)
