"""A broken model opens as an entry with an error panel; the rest of the app keeps working."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from ui_helpers import wait_idle

from mlmanager.ui.store import EntryState


def _make(tmp_path: Path, demo: Path, kind: str) -> Path:
    model = tmp_path / kind
    shutil.copytree(demo, model)
    mlmodel = model / "MLmodel"
    if kind == "bad-yaml":
        mlmodel.write_text("flavors:\n  sklearn: {pickled_model: model.pkl\nrun_id: [unclosed\n")
    elif kind == "not-mapping":
        mlmodel.write_text("- just\n- a list\n")
    elif kind == "not-utf8":
        mlmodel.write_bytes(b"flavors: {}\nowner: Jos\xe9\n")
    elif kind == "huge":
        mlmodel.write_text("flavors: {}\n" + "# padding\n" * 200_000)
    elif kind == "duplicate-keys":
        mlmodel.write_text("flavors: {}\nrun_id: a\nrun_id: b\n")
    elif kind == "symlink-outside":
        outside = tmp_path / "outside.yaml"
        outside.write_text("flavors: {}\n")
        mlmodel.unlink()
        mlmodel.symlink_to(outside)
    elif kind == "fifo":
        mlmodel.unlink()
        os.mkfifo(mlmodel)
    elif kind == "no-mlmodel":
        mlmodel.unlink()
    elif kind == "bad-signature":
        text = mlmodel.read_text()
        mlmodel.write_text(text.replace("outputs: '[{", "outputs: '[{oops"))
    return model


KINDS = {
    "bad-yaml": ("MLmodel cannot be read", True),
    "not-mapping": ("MLmodel cannot be read", True),
    "not-utf8": ("MLmodel cannot be read", True),
    "huge": ("MLmodel cannot be read", True),
    "duplicate-keys": ("MLmodel cannot be read", True),
    "symlink-outside": ("Unsafe path", False),
    "fifo": ("Unsafe path", False),
    "no-mlmodel": ("Not an MLflow model", False),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_broken_model_shows_error_panel(qtbot, window, tmp_path: Path, tmp_model: Path, kind: str) -> None:
    title, has_raw = KINDS[kind]
    model = _make(tmp_path, tmp_model, kind)
    entry = window.open_model(model)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.ERROR
    assert entry.error.title == title, entry.error
    assert window.view.banner.isVisibleTo(window)
    assert window.view.banner.title.text() == title
    assert entry.error.message  # names the file and the problem
    overview = window.view.page("overview")
    assert overview.error_box.isVisibleTo(window) and not overview.facts_box.isVisibleTo(window)
    assert overview.raw_text.isVisibleTo(window) is has_raw
    if has_raw:
        assert overview.raw_text.toPlainText().startswith(entry.raw_text[:20])
    # the other tabs cope
    for key in ("mlmodel", "artifacts", "environment"):
        window.view.set_current_page(key)
    wait_idle(qtbot, window)
    if entry.artifacts is not None:
        files = {n.path for n in window.view.page("artifacts").model.root.walk() if n.item is not None}
        assert "model.skops" in files  # what could still be read
    # and the app keeps working
    good = window.open_model(tmp_model)
    wait_idle(qtbot, window)
    assert good.state is EntryState.READY
    assert window.prompter.calls == []


def test_unreadable_signature_opens_with_badge(qtbot, window, tmp_path: Path, tmp_model: Path) -> None:
    model = _make(tmp_path, tmp_model, "bad-signature")
    entry = window.open_model(model)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY and entry.doc.signature_error
    page = window.view.page("overview")
    badges = {b.objectName(): b for b in page.badges}
    assert "badge-signature-error" in badges
    assert badges["badge-signature-error"].toolTip()


def test_corrupt_zip_opens_as_error(qtbot, window, tmp_path: Path) -> None:
    bad = tmp_path / "model.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    entry = window.open_model(bad)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.ERROR
    assert "zip" in entry.error.message


def test_zip_slip_member_names_are_not_trusted(qtbot, window, tmp_path: Path, tmp_model: Path) -> None:
    archive = tmp_path / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in tmp_model.iterdir():
            zf.write(f, f.name)
        zf.writestr("../../evil.txt", "escape")
    entry = window.open_model(archive)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY
    evil = [a for a in entry.artifacts if ".." in a.path]
    assert [(a.kind, a.detail) for a in evil] == [("special", "unsafe zip name")]
    window.view.set_current_page("artifacts")
    page = window.view.page("artifacts")
    node = next(n for n in page.model.root.children if n.path == "../../evil.txt")  # top level
    page.tree.setCurrentIndex(page.proxy.mapFromSource(page.model.index_of(node)))
    wait_idle(qtbot, window)
    assert "never opened" in page.preview.message.text()


def test_excepthook_shows_dialog_and_goes_on(window) -> None:
    from mlmanager.ui.app import install_excepthook

    hook = install_excepthook(window.prompter, lambda: window)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        hook(type(exc), exc, exc.__traceback__)
    assert window.prompter.kinds() == ["error"]
    assert "boom" in window.prompter.calls[0].text
    assert "Traceback" in window.prompter.calls[0].details
