"""Saving for the signature page: preview, dialect and flag choices, the atomic write, every
failure path (zip, symlink, read-only, disk full, changed on disk), Save as copy, and the check
of the input examples afterwards. The page holds it as ``page.saving``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.model.mlmodel import MLMODEL, save_as_copy, save_text
from mlmanager.core.signature.example_check import ExampleReport, apply_fix
from mlmanager.core.signature.schema import Signature
from mlmanager.ui.pages.signature.dialogs import choose, run_dialog
from mlmanager.ui.pages.signature.document import SignatureDocument
from mlmanager.ui.pages.signature.jobs import check_examples_job
from mlmanager.ui.pages.signature.save_dialog import SaveDialog


class SaveController:
    """Saving ``page``'s signature (a :class:`SignaturePage`: its document, entry and store)."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def _signature_to_save(self) -> Signature | None:
        assert self.page.document is not None
        return self.page.document.signature_for_save()

    def save(self) -> bool:
        """Preview, then write the signature into MLmodel. True when it was written."""
        doc = self.page.document
        if doc is None or not doc.dirty:
            return False
        if doc.fatal_issues():
            self.page.ctx.status("Fix the problems listed in the editor before saving")
            return False
        if doc.base_doc.root is None:
            if self.page.ctx.prompter.confirm(self.page, "This model is read-only",
                                         "A zip archive cannot be changed in place. Save a copy of the "
                                         "model with the new signature instead?"):
                return self.save_as_copy()
            return False
        dlg = SaveDialog(doc.base_doc, self._signature_to_save(), parent=self.page)
        accepted = run_dialog(self.page.ctx.prompter, dlg)
        text = dlg.text()
        dlg.deleteLater()
        if not accepted or text is None:
            return False
        return self._write(doc, text)

    def _changed_on_disk(self, doc: SignatureDocument) -> bool:
        try:
            current = doc.base_doc.files.read_bytes(MLMODEL)
        except (MlmanagerError, OSError):
            return False  # cannot tell (e.g. replaced by a symlink): the write reports it
        return current != doc.base_doc.raw_bytes

    def _write(self, doc: SignatureDocument, text: str) -> bool:
        force = False
        if self._changed_on_disk(doc):
            choice = choose(
                self.page.ctx.prompter, self.page, "MLmodel changed on disk",
                f"{doc.base_doc.mlmodel_location} changed on disk since it was opened. What should "
                "happen to your edits?",
                ["Reload from disk (discard my edits)", "Overwrite the file with my version",
                 "Save my version as a copy…"])
            if choice == 0:
                self.discard_and_reload()
                return False
            if choice == 2:
                return self.save_as_copy(text)
            if choice != 1:
                return False
            force = True
        old_sig = doc.base_doc.signature
        try:
            new_doc = save_text(doc.base_doc, text, force=force)
        except (MlmanagerError, OSError) as exc:
            self._show_write_error(exc)
            return False
        self.page._owned.add(id(new_doc))
        previous = doc.base_doc
        doc.saved(new_doc)
        self.page._close_owned(previous)
        self.page.ctx.status(f"Saved the signature to {new_doc.mlmodel_location} (previous file kept as MLmodel.bak)")
        self.page._update_window_modified()
        self.check_examples(new_doc.root, old_sig)
        return True

    def _show_write_error(self, exc: BaseException) -> None:
        self.page.ctx.prompter.error(
            self.page, "Could not save the signature",
            f"{exc}\n\nNothing was changed on disk (the previous MLmodel is intact) and your edits "
            "are still here. Use Save as copy to write them to another folder.")

    def discard_and_reload(self) -> None:
        entry = self.page.ctx.store.get(self.page.document.key) if self.page.document is not None else None
        if entry is None:
            return
        if self.page.document is not None:
            self.page.document.stack.clear()  # clean: the store's reload then replaces the signature
            self.page.document.disk_changed = False
        self.page.ctx.store.reload(entry)
        self.page._refresh()

    def save_as_copy(self, text: str | None = None) -> bool:
        """Write a new model folder with the edited signature; open it; leave the original alone.

        ``text``: the MLmodel text already previewed (from Save); else the preview is shown.
        """
        doc = self.page.document
        if doc is None:
            return False
        if doc.fatal_issues():
            self.page.ctx.status("Fix the problems listed in the editor before saving")
            return False
        base = self.page.entry.folder.parent if self.page.entry is not None else Path.home()
        folder = self.page.ctx.prompter.open_folder(self.page, "Save a copy of the model into…", str(base))
        if not folder:
            return False
        dest = Path(folder)
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            stem = self.page.entry.display_name if self.page.entry is not None else "model"
            k, candidate = 1, dest / f"{stem}-edited"
            while candidate.exists():
                k += 1
                candidate = dest / f"{stem}-edited-{k}"
            dest = candidate
        if text is None:
            dlg = SaveDialog(doc.base_doc, self._signature_to_save(), copy_to=str(dest), parent=self.page)
            accepted = run_dialog(self.page.ctx.prompter, dlg)
            text = dlg.text()
            dlg.deleteLater()
            if not accepted or text is None:
                return False
        old_sig = doc.base_doc.signature
        try:
            new_doc = save_as_copy(doc.base_doc, text, dest)
        except (MlmanagerError, OSError) as exc:
            self.page.ctx.prompter.error(self.page, "Could not save a copy",
                                    f"{exc}\n\nThe original model is unchanged and your edits are still here.")
            return False
        problems = list(new_doc.problems)
        new_doc.close()
        if doc.stack.cleanIndex() >= 0:
            doc.stack.setIndex(doc.stack.cleanIndex())  # the original shows what is on disk; Redo re-applies
        (self.page.ctx.open_model or self.page.ctx.store.open)(dest)
        notes = [p for p in problems if p.startswith("not copied")]
        self.page.ctx.status(f"Saved a copy with the new signature to {dest}; the original is unchanged"
                        + (f" ({len(notes)} file(s) not copied)" if notes else ""))
        self.check_examples(dest, old_sig)
        return True

    def check_examples(self, model_dir: Path | None, old_sig: Signature | None) -> Any:
        if model_dir is None:
            return None
        task = self.page.ctx.tasks.start(check_examples_job, str(model_dir), old_sig, name="check input examples")

        def failed(err: Any) -> None:
            err.handled = True
            self.page.ctx.status(f"Could not check the input examples: {err}")

        task.succeeded.connect(lambda reports: self._examples_checked(Path(model_dir), reports))
        task.failed.connect(failed)
        return task

    def _examples_checked(self, model_dir: Path, reports: list[ExampleReport]) -> None:
        self.page.example_reports = reports
        bad = [r for r in reports if not r.valid]
        if not reports:
            return
        if not bad:
            self.page.ctx.status("The input examples match the new signature")
            return
        text = "\n\n".join(r.describe() for r in bad)
        fixes = [r.fix for r in bad if r.fix is not None]
        if not fixes:
            self.page.ctx.prompter.warning(
                self.page, "The input examples no longer match",
                f"{text}\n\nMLflow does not check the examples when a signature changes; update them "
                "(or the signature) so they show a valid input.")
            return
        lines = []
        for f in fixes:
            after = ("it then matches the signature" if f.valid_after else
                     "it still will not match: " + "; ".join(f.problems_after[:2]))
            lines.append(f"• {f.rel}: " + "; ".join(f.changes) + f" ({after})")
        if not self.page.ctx.prompter.confirm(
                self.page, "The input examples no longer match",
                f"{text}\n\nFix the example files?\n" + "\n".join(lines)
                + "\n\nThe previous files are kept as .bak."):
            return
        for f in fixes:
            try:
                apply_fix(model_dir, f)
            except (MlmanagerError, OSError) as exc:
                self.page.ctx.prompter.error(self.page, "Could not fix the input example", str(exc))
                return
        self.page.ctx.status(f"Updated {', '.join(f.rel for f in fixes)} to match the new signature")
