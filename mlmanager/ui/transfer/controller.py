"""The transfer commands of the main window: export, import, new model from an estimator,
copy to, compare.

Every question goes through the host's prompter; every operation runs as a background task
with a :class:`ProgressDialog` (Cancel stops it, and the core then leaves nothing behind);
every failure is shown with what to do next. The host is the main window; it provides
``prompter``, ``tasks``, ``settings`` (``last_dir``), ``open_model(path)``,
``show_status(text)`` and ``tracking_changed(path)`` (rescan a tracking folder the library
shows).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from mlmanager.core.errors import MlmanagerError, WriteError
from mlmanager.core.sizes import format_size
from mlmanager.ui.dnd import ARCHIVE_FILTER, safe_file_name
from mlmanager.ui.prompter import MODEL_FILTER
from mlmanager.ui.tasks import Task
from mlmanager.ui.transfer import jobs
from mlmanager.ui.transfer.progress import ProgressDialog

ZIP_FILTER = "Zip archives (*.zip);;All files (*)"
MAX_LISTED_ENTRIES = 40




class TransferController(QObject):
    """See the module docstring. ``last_task``/``last_progress``/``last_compare`` are for tests."""

    def __init__(self, host: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.last_task: Task | None = None
        self.last_progress: ProgressDialog | None = None
        self.last_compare: QWidget | None = None

    # plumbing -----------------------------------------------------------------------------------

    @property
    def _parent(self) -> QWidget:
        return self.host

    @property
    def _prompter(self) -> Any:
        return self.host.prompter

    def _last_dir(self) -> str:
        return self.host.settings.last_dir or str(Path.home())

    def _remember_dir(self, folder: Path) -> None:
        if not self.host.settings.read_only:
            self.host.settings.last_dir = str(folder)

    def run(self, title: str, text: str, fn: Callable[..., Any], *args: Any,
            on_success: Callable[[Any], None], on_error: Callable[[MlmanagerError], None] | None = None,
            **kwargs: Any) -> Task:
        """Run ``jobs.run_core(fn, *args, **kwargs)`` with a progress dialog."""
        task = self.host.tasks.start(jobs.run_core, fn, args, kwargs, name=title)
        dialog = ProgressDialog(title, text, self._parent)
        dialog.cancel_requested.connect(task.cancel)
        task.progressed.connect(dialog.set_progress)

        def succeeded(outcome: jobs.Outcome) -> None:
            if outcome.error is not None:
                (on_error or (lambda e: self.show_error(title, e)))(outcome.error)
            else:
                on_success(outcome.value)

        task.succeeded.connect(succeeded)
        task.cancelled.connect(lambda: self.host.show_status(f"{title}: cancelled; nothing was written"))
        task.finished.connect(dialog.finish)
        dialog.start()
        self.last_task, self.last_progress = task, dialog
        return task

    def open_and_say(self, path: Path, text: str) -> None:
        """Open the model at ``path``, then show ``text`` in the status bar once it has loaded
        (so the store's own "Loaded …" does not replace it)."""
        entry = self.host.open_model(path)
        store = self.host.store
        if getattr(getattr(entry, "state", None), "value", "") != "loading":
            self.host.show_status(text)
            return

        def changed(e: Any) -> None:
            if e is entry and e.state.value != "loading":
                store.entry_changed.disconnect(changed)
                self.host.show_status(text)

        store.entry_changed.connect(changed)

    def show_error(self, title: str, exc: MlmanagerError) -> None:
        # deferred for start-up: not needed before the window's first paint
        from mlmanager.core.transfer.import_archive import ArchiveRefused

        if isinstance(exc, ArchiveRefused):
            self.show_refusal(exc)
            return
        self._prompter.error(self._parent, title, f"{exc}\n\nNothing was written.")

    def show_refusal(self, exc: Any) -> None:
        entries = list(exc.entries)
        archive = Path(exc.path).name if exc.path else "The archive"
        lines = [f"• {name}\n    {why}" for name, why in entries[:MAX_LISTED_ENTRIES]]
        if len(entries) > MAX_LISTED_ENTRIES:
            lines.append(f"… and {len(entries) - MAX_LISTED_ENTRIES} more (see the details)")
        n = len(entries)
        text = (f"{archive} was not imported: {n} entr{'y' if n == 1 else 'ies'} cannot be extracted "
                "safely, so nothing was written.\n\n" + "\n".join(lines))
        details = "\n".join(f"{name}: {why}" for name, why in entries)
        self._prompter.error(self._parent, "Archive refused", text, details)

    # export -------------------------------------------------------------------------------------

    def export_zip(self, model: Path, name: str) -> Task | None:
        if jobs.is_zip_model(model):
            self._prompter.info(self._parent, "Already a zip",
                                f"{name} is a zip archive already: copy {model.name} itself, or use "
                                "Import (Extract) to a Folder to get a model folder.")
            return None
        suggested = str(Path(self._last_dir()) / f"{safe_file_name(name)}.zip")
        chosen = self._prompter.save_file(self._parent, f"Export {name} as zip", suggested, ZIP_FILTER)
        if not chosen:
            return None
        out = Path(chosen)
        overwrite = out.exists()  # the save dialog asked (see Prompter.save_file)
        if out.suffix.lower() != ".zip":
            out = out.with_name(out.name + ".zip")
            if out.exists():
                if not self._prompter.confirm(self._parent, "Replace the zip?",
                                              f"{out} already exists. Replace it?"):
                    return None
                overwrite = True
        self._remember_dir(out.parent)

        def done(r: jobs.Done) -> None:
            self.host.show_status(f"Exported {name} to {r.path} ({r.files} files, {format_size(r.bytes)})")

        return self.run(f"Export {name}", f"Writing {out.name} in {out.parent}…", jobs.export_zip, model, out,
                        overwrite=overwrite, on_success=done)

    def export_folder(self, model: Path, name: str) -> Task | None:
        if jobs.is_zip_model(model):
            return self.import_archive(model)
        chosen = self._prompter.open_folder(self._parent, f"Export {name} into which folder?", self._last_dir())
        if not chosen:
            return None
        parent = Path(chosen)
        self._remember_dir(parent)
        target = jobs.unique_folder(parent, safe_file_name(model.name if model.name != "artifacts" else name))

        def done(r: jobs.Done) -> None:
            self.host.show_status(f"Exported {name} to {r.path} ({r.files} files, {format_size(r.bytes)})")

        return self.run(f"Export {name}", f"Copying to {target}…", jobs.export_folder, model, target,
                        on_success=done)

    # import -------------------------------------------------------------------------------------

    def ask_import(self) -> Task | None:
        chosen = self._prompter.open_file(self._parent, "Import a model archive", self._last_dir(), ARCHIVE_FILTER)
        return self.import_archive(Path(chosen)) if chosen else None

    def import_archive(self, archive: Path, dest: Path | None = None, name: str | None = None) -> Task | None:
        """Extract ``archive`` (asking where, unless ``dest``) and open the model."""
        if dest is None:
            chosen = self._prompter.open_folder(self._parent, f"Extract {archive.name} into which folder?",
                                                str(archive.parent))
            if not chosen:
                return None
            dest = Path(chosen)
            self._remember_dir(dest)

        def done(r: jobs.Done) -> None:
            note = f" ({'; '.join(r.warnings)})" if r.warnings else ""
            self.open_and_say(r.path, f"Imported {archive.name} to {r.path}: {r.files} files, {format_size(r.bytes)}{note}")

        def failed(exc: MlmanagerError) -> None:
            taken = exc.path is not None and isinstance(exc, WriteError) and "already exists" in str(exc)
            if taken:
                existing = Path(exc.path)
                alt = jobs.unique_folder(existing.parent, existing.name)
                pick = self._prompter.choose(self._parent, "Folder exists",
                                             f"{existing} already exists. Import the model as {alt.name}?",
                                             [f"Import as “{alt.name}”"])
                if pick == 0:
                    self.import_archive(archive, dest, alt.name)
                return
            self.show_error(f"Import {archive.name}", exc)

        return self.run(f"Import {archive.name}", f"Extracting {archive.name} into {dest}…", jobs.import_archive,
                        archive, dest, name=name, on_success=done, on_error=failed)

    # new model from an estimator ---------------------------------------------------------------

    def new_from_estimator(self) -> Task | None:
        # deferred for start-up: not needed before the window's first paint
        from mlmanager.ui.transfer.forms import PackageDialog

        dialog = PackageDialog(self._prompter, self._last_dir(), self._parent)
        try:
            if not self._prompter.run_dialog(dialog):
                return None
            spec = dialog.spec()
        finally:
            dialog.deleteLater()
        self._remember_dir(spec.out_dir)
        return self.package(spec)

    def package(self, spec: Any, trust: tuple[str, ...] = ()) -> Task:
        title = f"New model {spec.name}"

        def done(r: jobs.Done) -> None:
            extra = r.extra
            self.open_and_say(r.path, f"Created {r.path} from {extra.get('model_type')} ({extra.get('source_format')}, "
                              f"{extra.get('classification')}{', trusted' if extra.get('trusted') else ''})")
            if r.warnings:
                self._prompter.warning(self._parent, "Model created, with warnings",
                                       f"{r.path} was created.\n\n" + "\n".join(f"• {w}" for w in r.warnings))

        def failed(exc: MlmanagerError) -> None:
            # deferred for start-up: not needed before the window's first paint
            from mlmanager.worker.errors import ModelRefusedError

            report = getattr(exc, "report", None)
            if (isinstance(exc, ModelRefusedError) and report is not None and report.needs_trust
                    and report.sha256 and report.sha256 not in trust):
                if self._prompter.confirm(self._parent, "Trust this estimator file?",
                                          trust_question(spec.estimator, report)):
                    self.package(spec, (*trust, report.sha256))
                else:
                    self.host.show_status(f"{spec.estimator.name} was not trusted; nothing was created")
                return
            self._prompter.error(self._parent, f"Could not create the model {spec.name}",
                                 f"{exc}\n\nNothing was written.")

        return self.run(title, f"Packaging {spec.estimator.name} as {spec.format} in the worker…",
                        jobs.package, spec.estimator, spec.sample, spec.out_dir, spec.format, spec.name,
                        tuple(trust), on_success=done, on_error=failed)

    # copy ---------------------------------------------------------------------------------------

    def copy_to(self, model: Path, name: str) -> Task | None:
        # deferred for start-up: not needed before the window's first paint
        from mlmanager.ui.transfer.forms import CopyDialog

        if jobs.is_zip_model(model):
            return self.import_archive(model)
        default = model.name if model.name != "artifacts" else name
        dialog = CopyDialog(self._prompter, safe_file_name(default), self._last_dir(), self._parent)
        try:
            if not self._prompter.run_dialog(dialog):
                return None
            spec = dialog.spec()
        finally:
            dialog.deleteLater()

        def done(r: jobs.Done) -> None:
            extra = r.extra
            if extra.get("run_id"):
                self.host.tracking_changed(Path(extra["store"]))
                self.host.show_status(f"Copied {name} into experiment “{extra.get('experiment')}”, run "
                                      f"{extra['run_id'][:12]} ({extra.get('uri')})")
            else:
                self.host.show_status(f"Copied {name} to {r.path} ({r.files} files, {format_size(r.bytes)})")

        return self.run(f"Copy {name}", f"Copying to {spec.dest}…", jobs.copy_to, model, spec.dest, spec.layout,
                        name=spec.name, experiment=spec.experiment, on_success=done)

    # compare ------------------------------------------------------------------------------------

    def compare(self, models: list[tuple[str, Path]]) -> Task | None:
        """Compare two (name, path) models; with one, ask for the other first."""
        if not models:
            return None
        if len(models) == 1:
            chosen = self._prompter.open_file(self._parent, f"Compare {models[0][0]} with which model?",
                                              self._last_dir(), MODEL_FILTER)
            if not chosen:
                return None
            other = Path(chosen)
            if other.name == "MLmodel":
                other = other.parent
            models = [models[0], (other.stem if jobs.is_zip_model(other) else other.name, other)]
        (name_a, a), (name_b, b) = models[:2]

        def done(comparison: Any) -> None:
            # deferred for start-up: not needed before the window's first paint
            from mlmanager.ui.transfer.compare_dialog import CompareDialog

            dlg = CompareDialog(comparison, name_a, name_b, self._parent)
            dlg.show()
            self.last_compare = dlg

        return self.run("Compare models", f"Comparing {name_a} with {name_b}…", jobs.compare, a, b,
                        on_success=done)


def trust_question(estimator: Path, report: Any) -> str:
    """The consent text for packaging an estimator the safety rules do not allow by themselves."""
    imports = list(getattr(report, "untrusted", ()) or ()) or list(getattr(report, "imports", ()) or ())
    shown = ", ".join(imports[:12]) + (f" and {len(imports) - 12} more" if len(imports) > 12 else "")
    why = report.summary if hasattr(report, "summary") else report.classification
    lines = [f"{estimator.name} is {report.classification}: {why}."]
    if shown:
        lines.append(f"It imports: {shown}.")
    lines.append(f"SHA-256: {report.sha256}")
    lines.append("")
    lines.append("Trust means running the file's code with your permissions (inside the prediction "
                 "worker, with its memory and time limits). Trust only files you or someone you "
                 "trust made. Trust this exact file and package it?")
    return "\n".join(lines)
