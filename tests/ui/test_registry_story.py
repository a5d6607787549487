"""Issue 15's "Done when", end to end against a real ``mlflow server``: a person points
mlmanager at the team's server, sees every registered model with its versions and aliases,
opens version 2 (@champion), fixes its signature and publishes it as version 4 with @champion
moved — without writing code — and MLflow's own client agrees at every step."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from registry_seed import seed_team_registry
from registry_support import client_view, library_view, listed, prefix, registered, version_node

from mlmanager.core.remote.copies import local_changes

mlflow = pytest.importorskip("mlflow")
SAVE_AS_NEW = "Save as New Version…"  # the action's name wherever a user sees it


def _tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip}


@pytest.fixture
def mlflow_at_server(mlflow_server):
    """MLflow's fluent API (models:/ URIs) pointed at the session server, not ./mlflow.db."""
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_server.url)
    yield mlflow_server
    mlflow.set_tracking_uri(before)


def test_fix_a_signature_and_publish_it_as_the_new_champion(qtbot, window, prompter, mlflow_at_server,
                                                            client_env, tmp_path: Path) -> None:
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    mlflow_server = mlflow_at_server
    url = mlflow_server.url
    p = prefix()
    seeded = seed_team_registry(url, p)
    churn = seeded.churn
    client = MlflowClient(url, registry_uri=url)
    window.registry.branches.copies_root = None  # the user's data folder (MLMANAGER_COPIES here)

    # 1. `mlmanager http://127.0.0.1:PORT`, then MLflow's search grammar in the filter box
    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    assert branch is not None and window.library_panel.current_node() is branch.source_node
    expression = f"name LIKE '{p}%'"
    window.library_panel.filter.setText(expression)
    window.library_panel.apply_filter()
    assert branch.filter == expression
    listed(qtbot, window, branch)
    assert branch.state == "ready" and not prompter.calls
    assert library_view(window, branch) == client_view(url, expression)
    models = registered(window, branch)
    assert sorted(models) == sorted([seeded.churn, seeded.fraud, seeded.houses])
    assert models[churn].payload.model.aliases == {"champion": "2", "challenger": "3"}

    # 2. version 2 (@champion): its facts, then Download and Open
    v2 = version_node(models[churn], "2")
    window.library_panel.select_source_index(window.library.index_of(v2))
    panel = window.registry.panel
    assert window.stack.currentWidget() is panel and panel.mode == "version"
    assert panel.subtitle.full_text().endswith(f"▸ {churn} ▸ version 2 @champion")
    panel.open_button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view and window.view.entry
                    is not None and window.view.entry.state.value == "ready", timeout=60_000)
    entry = window.view.entry
    assert window.view.header.location.full_text() == (
        f"127.0.0.1:{mlflow_server.port} ▸ {churn} ▸ version 2 @champion")
    copy = Path(entry.path)
    assert copy.is_relative_to(client_env.parent / "copies")
    theirs = Path(mlflow.artifacts.download_artifacts(f"models:/{churn}/2",
                                                       dst_path=str(tmp_path / "mlflow")))
    assert _tree(copy) == _tree(theirs, skip=("registered_model_meta",))
    # the Overview adds the run it came from, as MLflow has it
    overview = window.view.page("overview")
    section = overview.registry_section
    assert section is not None and section.isVisible()
    assert section.publish_button.isVisible() and section.publish_button.text() == SAVE_AS_NEW
    run = client.get_run(client.get_model_version(churn, "2").run_id)
    qtbot.waitUntil(lambda: section.run_view.metrics.rowCount() > 0, timeout=30_000)
    shown = {section.run_view.metrics.index(r, 0).data(): section.run_view.metrics.index(r, 1).data()
             for r in range(section.run_view.metrics.rowCount())}
    assert set(shown) == set(run.data.metrics)
    assert float(shown["train_accuracy"]) == run.data.metrics["train_accuracy"]

    # 3. fix the signature: monthly_fee was logged as a long, the fees are 19.99
    window.view.set_current_page("signature")
    page = window.signature_page
    # (a page built into a shown tab is shown by a queued event: wait for it as a user would)
    qtbot.waitUntil(lambda: page.document is not None and page.entry is entry and page.isVisible(),
                    timeout=30_000)
    columns = page.panels["inputs"].model()
    row = next(r for r in range(columns.rowCount()) if columns.index(r, 0).data() == "monthly_fee")
    assert columns.index(row, 1).data() == "long"
    assert columns.setData(columns.index(row, 1), "double")
    assert page.save_version_button.isVisible() and page.save_version_button.isEnabled()
    # one name for the action wherever it shows: the toolbar, the Edit menu, the Overview
    assert page.save_version_button.text() == SAVE_AS_NEW
    assert page.save_version_action.text().replace("&", "") == SAVE_AS_NEW
    assert page.save_version_button.toolTip().startswith("Save this signature as a new version")

    # 4. Save as New Version: the preview, then the confirmation naming server, model and files
    confirmation: list[str] = []

    def confirm(dialog) -> bool:
        confirmation.append(dialog.note.text())
        assert dialog.windowTitle() == "Save as New Version"
        assert dialog.name.currentText() == churn
        assert dialog.alias_boxes["champion"].isChecked()  # @champion moves with it
        assert not dialog.alias_boxes["challenger"].isChecked()
        return True

    prompter.dialogs = [True, confirm]
    with qtbot.waitSignal(window.registry.published, timeout=180_000) as published:
        page.save_version_button.click()
    result = published.args[1]
    assert result.version.version == "4" and result.moved == {"champion": "2"}
    assert f"127.0.0.1:{mlflow_server.port}" in confirmation[0] and churn in confirmation[0]
    assert " files (" in confirmation[0]
    assert not [c for c in prompter.calls if c.kind in ("error", "warning")]

    # 5. MLflow agrees: version 4 holds the fixed signature, @champion points to it
    assert client.get_model_version_by_alias(churn, "champion").version == "4"
    assert client.get_model_version_by_alias(churn, "challenger").version == "3"
    frame = pd.DataFrame({"plan": ["basic"], "monthly_fee": [19.99], "usage_gb": [1.5]})
    champion = mlflow.pyfunc.load_model(f"models:/{churn}@champion")
    fee = next(c for c in champion.metadata.get_input_schema().inputs if c.name == "monthly_fee")
    assert str(fee.type) in ("double", "DataType.double")
    assert len(champion.predict(frame)) == 1
    with pytest.raises(MlflowException):  # version 2 on the server still refuses the fee
        mlflow.pyfunc.load_model(f"models:/{churn}/2").predict(frame)
    # the downloaded copy of version 2 was not changed (edits are never pushed, nor saved there)
    assert local_changes(copy) == []
    assert page.document is not None and not page.document.dirty

    # 6. the library lists the model again and selects the new version, @champion on it
    def shows_v4() -> bool:
        node = window.library_panel.current_node()
        return node is not None and node.kind == "model-version" and \
            node.payload.version.version == "4"

    qtbot.waitUntil(shows_v4, timeout=30_000)
    v4 = window.library_panel.current_node().payload.version
    assert v4.aliases == ("champion",)
    assert library_view(window, branch) == client_view(url, expression)
