"""Save as New Version: the edited signature published as a new version of the registered model
an opened registry version came from (a server's, writable). The page holds it as
``page.publishing``; the action sits next to Save and Save as copy, shown only for registry
versions (disabled, saying why, for a local registry's: MLflow owns those formats).

The MLmodel text is previewed as for Save (the same dialog); a copy of the model with that
MLmodel is written to a temporary folder in the background, then the window's registry controller
asks for the confirmation that names the server, the model and the files (and offers to move the
version's aliases, e.g. @champion, to the new version) and uploads it. The opened version itself
is not changed: the editor goes back to what is on disk (Redo re-applies the edits), as after
Save as copy. The temporary folder is removed however it ends.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlmanager.core.model.mlmodel import save_as_copy
from mlmanager.core.transfer.staging import safe_file_name
from mlmanager.ui.pages.signature import SAVE_VERSION_TITLE
from mlmanager.ui.pages.signature.dialogs import run_dialog
from mlmanager.ui.pages.signature.save_dialog import SaveDialog
from mlmanager.ui.tasks import TaskError, TaskState


def write_copy(state: TaskState, base_doc: Any, text: str, dest: str) -> str:
    """Runs in a worker thread: the model with ``text`` as its MLmodel, in ``dest``."""
    new_doc = save_as_copy(base_doc, text, dest)
    new_doc.close()
    return dest


class PublishController:
    """See the module docstring. ``page``: the :class:`SignaturePage`."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.last_staging: Path | None = None

    def origin(self) -> Any:
        registry = self.page.ctx.registry
        entry = self.page.entry
        return registry.origin_of(entry) if registry is not None and entry is not None else None

    def state(self) -> tuple[bool, bool, str]:
        """(shown, enabled, tooltip) of the action for the model shown."""
        origin = self.origin()
        if origin is None:
            return False, False, ""
        doc = self.page.document
        if not origin.branch.writable:  # a local registry's version: say why it cannot be
            return True, False, origin.branch.read_only_reason
        if doc is None or doc.fatal_issues():
            return True, False, "Fix the problems listed below first"
        v = origin.version
        return True, True, (f"Save this signature as a new version of {v.name} on "
                            f"{origin.branch.label} (you confirm first; version {v.version} and "
                            "the local copy are not changed)")

    def publish(self) -> bool:
        """Preview, write the edited copy, then hand it to the registry controller."""
        page = self.page
        doc, origin = page.document, self.origin()
        if doc is None or origin is None:
            return False
        if not origin.branch.writable:
            page.ctx.prompter.warning(page, f"Cannot {SAVE_VERSION_TITLE.lower()}",
                                      origin.branch.read_only_reason)
            return False
        if doc.fatal_issues():
            page.ctx.status("Fix the problems listed in the editor before saving a new version")
            return False
        v = origin.version
        dlg = SaveDialog(doc.base_doc, doc.signature_for_save(),
                         copy_to=f"a new version of {v.name} on {origin.branch.label}", parent=page)
        dlg.setWindowTitle(SAVE_VERSION_TITLE)
        dlg.save_button.setText("Continue")
        accepted = run_dialog(page.ctx.prompter, dlg)
        text = dlg.text()
        dlg.deleteLater()
        if not accepted or text is None:
            return False
        staging = Path(tempfile.mkdtemp(prefix="mlmanager-publish-"))
        folder = staging / safe_file_name(f"{v.name}-v{v.version}-edited")
        self.last_staging = staging
        task = page.ctx.tasks.start(write_copy, doc.base_doc, text, str(folder),
                                    name="prepare the new version")
        entry = page.entry

        def written(path: str) -> None:
            page.ctx.registry.publish_entry(entry, folder=path,
                                            on_done=lambda result: self._done(doc, staging, result))

        def failed(err: TaskError) -> None:
            err.handled = True
            shutil.rmtree(staging, ignore_errors=True)
            page.ctx.prompter.error(page, "Could not prepare the new version",
                                    f"{err}\n\nNothing was sent to the server; your edits are "
                                    "still here.")

        task.succeeded.connect(written)
        task.failed.connect(failed)
        return True

    def _done(self, doc: Any, staging: Path, result: Any) -> None:
        shutil.rmtree(staging, ignore_errors=True)
        if result is None:
            return  # cancelled or failed: the edits stay in the editor
        if doc.stack.cleanIndex() >= 0:
            doc.stack.setIndex(doc.stack.cleanIndex())  # the opened version shows what is on disk
