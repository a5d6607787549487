"""Tracking folders scan in the background: models stream in, progress shows, cancel works."""

from __future__ import annotations

import threading
from pathlib import Path

from corpus_paths import MODELS
from PySide6.QtCore import Qt
from ui_helpers import wait_idle

from mlmanager.ui import scanning
from mlmanager.ui.models.library import EXPERIMENT, MODEL, PROBLEMS, RUN, Node
from mlmanager.ui.tasks import TaskState

MLMODEL = "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"


def _models(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.kind == MODEL:
            out.append(n)
        stack.extend(n.children)
    return out


def _synthetic_tree(root: Path, n: int = 300) -> Path:
    """A file-store-like tree: 3 experiments, one run per model, ``n`` models."""
    mlruns = root / "mlruns"
    for e in range(3):
        exp = mlruns / str(e + 1)
        exp.mkdir(parents=True)
        (exp / "meta.yaml").write_text(f"experiment_id: '{e + 1}'\nname: exp-{e + 1}\nlifecycle_stage: active\n")
    for i in range(n):
        exp_id = i % 3 + 1
        run_id = f"{i:032x}"
        run = mlruns / str(exp_id) / run_id
        model = run / "artifacts" / "model"
        model.mkdir(parents=True)
        (run / "meta.yaml").write_text(
            f"run_id: {run_id}\nrun_name: run-{i}\nexperiment_id: '{exp_id}'\nlifecycle_stage: active\n")
        (model / "MLmodel").write_text(MLMODEL)
    return mlruns


def test_scan_file_store(qtbot, window) -> None:
    with qtbot.waitSignal(window.scans.finished, timeout=20000) as blocker:
        source = window.open_tracking(MODELS / "mlruns")
    summary = blocker.args[1]
    assert summary.models == 3 and not summary.cancelled
    models = _models(source)
    assert sorted(m.label for m in models) == sorted(["manual-gbr", "autolog-ridge", "knn-k5"]) or len(models) == 3
    exps = {c.label for c in source.children if c.kind == EXPERIMENT}
    assert "house-prices" in exps
    assert all(m.parent.kind in (RUN, EXPERIMENT) for m in models)
    # selecting a scanned model opens it (without adding it to "Open models")
    from mlmanager.ui.models.library import LibraryModel

    assert isinstance(window.library, LibraryModel)
    window.library_panel.select_source_index(window.library.index_of(models[0]))
    wait_idle(qtbot, window)
    assert window.view.entry is not None and window.view.entry.doc is not None
    assert window.library.open_group.children == []
    assert "model" in window.library_panel.scan_label.text() or not window.library_panel.scan_row.isVisible()


def test_scan_sqlite_store_names_from_db(qtbot, window) -> None:
    with qtbot.waitSignal(window.scans.finished, timeout=20000):
        source = window.open_tracking(MODELS / "sqlite_store")
    models = _models(source)
    assert len(models) == 3
    labels = {c.label for c in source.children if c.kind == EXPERIMENT}
    assert not any(label.startswith("Experiment ") for label in labels), labels  # names from mlflow.db


def test_scan_synthetic_tree_streams_and_groups(qtbot, window, tmp_path: Path) -> None:
    mlruns = _synthetic_tree(tmp_path)
    batches: list[int] = []
    with qtbot.waitSignal(window.scans.finished, timeout=30000) as blocker:
        source = window.scans.scan(mlruns)
        window.scans._running[str(mlruns.resolve())].partial.connect(lambda b: batches.append(len(b)))
    assert blocker.args[1].models == 300
    assert len(_models(source)) == 300
    exps = [c for c in source.children if c.kind == EXPERIMENT]
    assert sorted(e.label for e in exps) == ["exp-1", "exp-2", "exp-3"]
    assert sum(len(e.children) for e in exps) == 300  # one run node per run
    assert sum(batches) == 300
    assert source.status == "300 models"
    # the filter finds one run among 300
    window.library_panel.filter.setText("run-123")
    window.library_panel.apply_filter()
    proxy = window.library_panel.proxy
    assert proxy.rowCount(proxy.mapFromSource(window.library.index_of(source))) == 1


def test_filter_round_trip_keeps_current_and_expansion(qtbot, window, tmp_path: Path) -> None:
    """The tree shows the library itself and the filter proxy only while a filter is typed;
    clearing the filter restores what was expanded and keeps the current model."""
    mlruns = _synthetic_tree(tmp_path, n=30)
    with qtbot.waitSignal(window.scans.finished, timeout=20000):
        source = window.open_tracking(mlruns)
    panel = window.library_panel
    assert panel.tree.model() is window.library and not panel.is_filtered()
    exps = [c for c in source.children if c.kind == EXPERIMENT]
    panel.tree.expand(window.library.index_of(exps[1]))
    assert not panel.tree.isExpanded(window.library.index_of(exps[2]))
    target = _models(exps[1])[0]
    assert panel.select_source_index(window.library.index_of(target))
    wait_idle(qtbot, window)

    panel.filter.setText(target.parent.label)  # the run's name
    panel.apply_filter()
    assert panel.is_filtered() and panel.tree.model() is panel.proxy
    assert panel.current_node() is target
    assert panel.proxy.matches >= 1

    panel.filter.clear()
    panel.apply_filter()
    assert panel.tree.model() is window.library and panel.proxy.sourceModel() is None
    assert panel.current_node() is target
    assert panel.tree.isExpanded(window.library.index_of(exps[1]))
    assert not panel.tree.isExpanded(window.library.index_of(exps[2]))
    # selection still drives the view after the swap (the new selection model is connected)
    other = _models(exps[0])[0]
    panel.select_source_index(window.library.index_of(other))
    wait_idle(qtbot, window)
    assert panel.current_node() is other
    assert window.view.entry is not None and window.view.entry.key == other.key


def test_cancel_scan_keeps_what_was_found(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    mlruns = _synthetic_tree(tmp_path)
    gate = threading.Event()
    real = scanning.__dict__.get("_iter_scan_for_tests")
    assert real is None
    from mlmanager.core.library import discovery

    original = discovery.iter_scan

    def gated(root, **kw):
        for i, item in enumerate(original(root, **kw)):
            if i == 40:
                gate.wait(20)  # hold the walk until the test pressed Cancel (no timing involved)
            yield item

    monkeypatch.setattr(discovery, "iter_scan", gated)
    source = window.scans.scan(mlruns)
    qtbot.waitUntil(lambda: len(_models(source)) >= 40, timeout=20000)
    assert window.library_panel.scan_row.isVisibleTo(window)
    with qtbot.waitSignal(window.scans.finished, timeout=20000) as blocker:
        window.library_panel.cancel_button.click()
        gate.set()
    summary = blocker.args[1]
    assert summary.cancelled
    assert 40 <= len(_models(source)) < 300
    assert "cancelled" in source.status
    assert not window.library_panel.scan_row.isVisibleTo(window)


def test_scan_lists_problems(qtbot, window, tmp_path: Path) -> None:
    root = tmp_path / "store"
    good = root / "good"
    good.mkdir(parents=True)
    (good / "MLmodel").write_text(MLMODEL)
    bad = root / "bad"
    bad.mkdir()
    (bad / "MLmodel").write_text("flavors: [unclosed\n")
    loop = root / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop)  # never followed
    with qtbot.waitSignal(window.scans.finished, timeout=20000) as blocker:
        source = window.scans.scan(root)
    assert blocker.args[1].models == 2
    problems = [c for c in source.children if c.kind == PROBLEMS]
    assert problems and problems[0].children
    bad_node = next(m for m in _models(source) if m.label == "bad")
    tip = window.library.data(window.library.index_of(bad_node), Qt.ItemDataRole.ToolTipRole)
    assert "Problem:" in tip or "Cannot be read:" in tip


def test_scan_task_precancelled_returns_at_once(tmp_path: Path) -> None:
    mlruns = _synthetic_tree(tmp_path, 30)
    state = TaskState()
    state.cancel()
    summary = scanning.scan_task(state, str(mlruns))
    assert summary.cancelled and summary.models == 0


def test_settled_waits_for_the_first_model_after_a_scan(qtbot, window, tmp_path: Path) -> None:
    """Screenshots wait for "settled": after a scan the first model is selected and opened on
    later event-loop turns, and settled must not come before it is shown."""
    from mlmanager.ui.screenshot import wait_until_settled

    mlruns = _synthetic_tree(tmp_path, n=12)
    source = window.open_tracking(mlruns)
    assert wait_until_settled(window, timeout_ms=20_000)
    first = _models(source)
    assert window.view.entry is not None and window.view.entry.state.value == "ready"
    assert window.library_panel.current_node() in first


def test_clearing_a_filter_after_a_rescan_forgets_removed_nodes(qtbot, window, tmp_path: Path) -> None:
    """A rescan while a filter is typed removes the nodes the panel remembered (expanded ones,
    the current one): clearing the filter must not expand or select them through stale rows."""
    mlruns = _synthetic_tree(tmp_path, n=9)
    with qtbot.waitSignal(window.scans.finished, timeout=20000):
        source = window.open_tracking(mlruns)
    wait_idle(qtbot, window)
    panel = window.library_panel
    old_exp = [c for c in source.children if c.kind == EXPERIMENT][0]
    old_model = _models(old_exp)[0]
    panel.tree.expand(window.library.index_of(old_exp))
    assert panel.select_source_index(window.library.index_of(old_model))
    panel.filter.setText("run-")
    panel.apply_filter()
    with qtbot.waitSignal(window.scans.finished, timeout=20000):
        window.scans.scan(source.key, rescan=True)
    assert not window.library.is_attached(old_model) and not window.library.index_of(old_model).isValid()
    panel.filter.clear()
    panel.apply_filter()
    assert panel.tree.model() is window.library
    current = panel.current_node()
    assert current is None or window.library.is_attached(current)
    assert len(_models(source)) == 9


def test_store_can_open_now_and_load_after_the_paint(qtbot, window, tmp_path: Path) -> None:
    """The scan's first model is shown "Loading…" first and loaded on the next turn (the load's
    thread and the view's first paint would compete for the GIL: job 7's last long gap)."""
    from mlmanager.ui.store import EntryState

    mlruns = _synthetic_tree(tmp_path, n=3)
    model = next(p for p in mlruns.rglob("MLmodel")).parent
    entry, new = window.store.open(model, pinned=False, load=False)
    assert new and entry.state is EntryState.LOADING and not window.store.is_loading()
    window.store.start_loading(entry)
    assert window.store.is_loading()
    qtbot.waitUntil(lambda: entry.state is EntryState.READY, timeout=20_000)
    window.store.start_loading(entry)  # loaded: nothing to do
    assert not window.store.is_loading()
