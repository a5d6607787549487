"""Tools ▸ Environments…: the environments in the cache, their size, last use and models;
Remove and Prune (real environments built with uv: a model without requirements builds one
with Python and its seed packages only, in seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from env_models import write_model

from mlmanager.core.environments.builder import build  # noqa: E402
from mlmanager.core.environments.cache import EnvironmentCache  # noqa: E402
from mlmanager.core.environments.plan import plan_build  # noqa: E402
from mlmanager.core.environments.spec import read_spec  # noqa: E402

pytestmark = [pytest.mark.envbuild]


@pytest.fixture
def env_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "environments"
    monkeypatch.setenv("MLMANAGER_ENV_CACHE", str(root))
    return root


def built(folder: Path, python: str) -> Path:
    model = write_model(folder, python=python, requirements=(), build_dependencies=())
    build(plan_build(read_spec(model), cache=EnvironmentCache()), consent=True)
    return model


def test_the_manager_lists_removes_and_prunes(qtbot, qtmodeltester, window, prompter,
                                              tmp_path: Path, env_cache: Path) -> None:
    first = built(tmp_path / "first", "3.11.7")
    second = built(tmp_path / "second", "3.12.1")
    dialog = window.show_environments()
    qtbot.waitUntil(lambda: dialog.listed >= 1, timeout=30_000)
    model = dialog.model
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    rows = {model.environment(r).python_version[:4]: r for r in range(model.rowCount())}
    assert set(rows) == {"3.11", "3.12"}
    r = rows["3.11"]
    index = model.index(r, 6)
    assert model.data(index, tooltip()) == str(first)  # the models that use it
    assert model.data(model.index(r, 4)) not in ("", "—")  # its size
    assert "2 environments" in dialog.summary.text()

    # Remove the selected one (asked first)
    dialog.table.selectRow(r)
    prompter.answers.append(True)
    listed = dialog.listed
    dialog.remove_selected()
    qtbot.waitUntil(lambda: dialog.listed > listed, timeout=30_000)
    assert model.rowCount() == 1
    assert model.environment(0).python_version.startswith("3.12")
    assert dialog.summary.text().startswith("Removed 1 environment(s)")
    assert [p.name for p in env_cache.glob("py3.11-*")] == []

    # Prune: the remaining model's folder is gone, so its environment goes
    import shutil

    shutil.rmtree(second)
    prompter.answers.append(True)
    listed = dialog.listed
    dialog.prune()
    qtbot.waitUntil(lambda: dialog.listed > listed, timeout=30_000)
    assert model.rowCount() == 0
    assert dialog.summary.text().startswith("Pruned 1 environment(s)")
    assert prompter.titles("confirm") == ["Remove environments?", "Prune environments?"]
    dialog.close()


def test_the_tools_menu_has_it(window) -> None:
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Tools")
    assert window.act_environments in tools.actions()


def tooltip():
    from PySide6.QtCore import Qt

    return Qt.ItemDataRole.ToolTipRole
