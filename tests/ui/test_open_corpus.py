"""Every model MLflow wrote opens read-only and shows its flavors, signature and artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_paths import MODELS
from ui_helpers import corpus_params, wait_idle

from mlmanager.ui.store import EntryState

CORPUS = corpus_params()


def _form_values(form) -> dict[str, str]:
    out = {}
    for row in range(form.rowCount()):
        from PySide6.QtWidgets import QFormLayout

        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().text()
        value = form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget().text()
        out[label] = value
    return out


@pytest.mark.parametrize(("name", "model_dir"), CORPUS, ids=[n for n, _ in CORPUS])
def test_open_corpus_model(qtbot, window, name: str, model_dir: Path) -> None:
    exp = json.loads((MODELS / f"{name}.expected.json").read_text())
    entry = window.open_model(model_dir)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY, entry.error
    assert window.view.entry is entry

    # Overview: flavors and signature at a glance
    window.view.set_current_page("overview")
    page = window.view.page("overview")
    facts = _form_values(page.model_form)
    assert facts["Flavors"].split(" · ") == exp["flavor_names"]
    sig = exp["signature_parsed"]
    if sig is None:
        assert page.no_signature.isVisibleTo(page) and not page.signature.isVisibleTo(page)
        assert "no-signature" in {b.objectName().removeprefix("badge-") for b in page.badges}
    else:
        for section, model in (("inputs", page.signature.inputs), ("outputs", page.signature.outputs)):
            specs = sig.get(section) or []
            assert model.rowCount() == len(specs)
            names = [model.index(r, 0).data() for r in range(model.rowCount())]
            assert names == [s.get("name", f"#{i}") if s.get("name") is not None else f"#{i}"
                             for i, s in enumerate(specs)]
        params = sig.get("params") or []
        assert page.signature.params.rowCount() == len(params)

    # Artifacts: the same files MLflow listed
    window.view.set_current_page("artifacts")
    wait_idle(qtbot, window)
    arts = window.view.page("artifacts")
    files = {n.path for n in arts.model.root.walk() if n.item is not None}
    assert files == {a["path"] for a in exp["artifacts"]}
    assert arts.preview.title.text() == "MLmodel"  # previewed by default

    # MLmodel and Environment render too
    window.view.set_current_page("mlmodel")
    tree = window.view.page("mlmodel")
    assert tree.model.find("flavors").isValid()
    window.view.set_current_page("environment")
    wait_idle(qtbot, window)
    env = window.view.page("environment")
    assert env._report is not None
