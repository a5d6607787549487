"""An MLflow 2.x server driven through the desktop app: the window lists what MLflow 2's own
client sees (models, versions, aliases; no logged models on that generation), a version's
panel shows its facts, and Download and Open opens the files that MLflow 2 logged. A real
``mlflow server`` 2.22 (``mlflow2_server``, its own uv-built environment) seeded and judged by
MLflow 2's client run in that environment (``mlflow2_client``); real widgets."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest
from registry_support import library_view, listed, registered, version_node

mlflow = pytest.importorskip("mlflow")


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _oracle_view(view: dict) -> dict:
    """MLflow 2's client's listing in ``registry_support.library_view``'s shape."""
    out = {}
    for model in view["registered_models"]:
        aliases = {a: str(v) for a, v in model["aliases"].items()}
        out[model["name"]] = {
            "aliases": aliases,
            "versions": sorted((str(v["version"]), tuple(sorted(a for a, n in aliases.items()
                                                                if n == str(v["version"]))))
                               for v in model["versions"])}
    return out


def test_an_mlflow2_server_is_listed_and_a_version_opened(
        qtbot, window, prompter, mlflow2_server, mlflow2_client, client_env) -> None:
    p = f"g{uuid.uuid4().hex[:8]}-"
    seed = mlflow2_client(("seed", {"prefix": p}))[0]
    assert seed["version"].startswith("2.")
    url = mlflow2_server.url
    churn = f"{p}churn"

    # open the server, MLflow's search grammar in the filter box: what MLflow 2 sees
    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    assert branch is not None
    expression = f"name LIKE '{p}%'"
    window.library_panel.filter.setText(expression)
    window.library_panel.apply_filter()
    listed(qtbot, window, branch)
    assert branch.state == "ready", branch.error
    assert library_view(window, branch) == _oracle_view(seed["view"])
    assert branch.models == 15 and branch.writable
    models = registered(window, branch)
    assert models[churn].payload.model.aliases == {"baseline": "1", "champion": "2"}

    # version 2 (@champion): its panel, then Download and Open
    v2 = version_node(models[churn], "2")
    assert v2.payload.version.model_id is None  # no logged models on 2.x
    assert v2.payload.version.run_id == seed["runs"][1]
    window.library_panel.select_source_index(window.library.index_of(v2))
    panel = window.registry.panel
    assert window.stack.currentWidget() is panel and panel.mode == "version"
    assert panel.subtitle.full_text().endswith(f"▸ {churn} ▸ version 2 @champion")
    assert panel.open_button.text() == "Download and Open"
    panel.open_button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view and window.view.entry
                    is not None and window.view.entry.state.value == "ready", timeout=120_000)
    entry = window.view.entry
    assert window.view.header.location.full_text() == (
        f"127.0.0.1:{mlflow2_server.port} ▸ {churn} ▸ version 2 @champion")
    copy = Path(entry.path)
    assert copy.is_relative_to(client_env.parent / "copies")
    # the files MLflow 2 logged for that run (the server's artifact store), byte for byte
    logged = next((mlflow2_server.folder / "artifacts").glob(
        f"*/{seed['runs'][1]}/artifacts/model"))
    assert _tree(copy) == _tree(logged)
    # the model itself: the sklearn model MLflow 2 logged
    assert "sklearn" in entry.doc.flavor_names
    overview = window.view.page("overview")
    assert overview.registry_section is not None and overview.registry_section.isVisible()
    assert not [c for c in prompter.calls if c.kind in ("error", "warning")]
