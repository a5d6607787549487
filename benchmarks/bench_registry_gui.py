"""Job 10: the registry in the desktop app, on a loopback ``mlflow server``.

Starts a real ``mlflow server`` filled with 1,000 registered models x 3 versions (rows cloned
from one MLflow wrote, as ``bench_registry`` does), then, in the real main window (offscreen) in
this process, for each round:

* first page on screen: from ``window.open_paths([URL])`` (what ``mlmanager URL`` and a dropped
  URL do) to the first paint of the library tree after the first registered models arrived;
* whole listing: to the end of the listing (every model with every version in the library);
* longest stall: the longest gap of a 10 ms heartbeat timer on the GUI thread, minus the
  heartbeat, from the call until the listing ended (the GUI thread must never wait on the
  network: targets first page <= 0.3 s, no stall over 50 ms).

The counterpart for the first page is ``MlflowClient.search_registered_models(max_results=50)``
in this process (no painting), the same one ``bench_registry`` times.

Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_registry_gui.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for p in (str(REPO), str(REPO / "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

from benchmarks.bench_registry import N_MODELS, N_VERSIONS, TARGET_FIRST, _clone  # noqa: E402
from benchmarks.common import Row, Timing, have_mlflow, print_table, write_json  # noqa: E402

HEARTBEAT_MS = 10
TARGET_STALL = 0.05
TIMEOUT_S = 300.0
LONG_GAPS: list[tuple[float, float]] = []  # (start, length) of heartbeat gaps over 30 ms


def _one_listing(app, url: str) -> tuple[float, float, float, int]:
    """(first page painted, whole listing, longest stall, models) for one fresh window."""
    from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, QTimer

    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.models.library import REGISTERED
    from mlmanager.ui.prompter import StderrPrompter
    from mlmanager.ui.settings import Settings

    window = MainWindow(Settings(read_only=True), StderrPrompter())
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    tree = window.library_panel.tree
    marks: dict[str, float] = {}
    clock = QElapsedTimer()
    gaps = [0.0]
    last = [0.0]

    def has_models() -> bool:
        branch = window.registry.branches.for_location(url)
        return branch is not None and branch.node is not None and any(
            n.kind == REGISTERED for n in branch.node.children)

    class PaintWatch(QObject):
        painted = None

        def eventFilter(self, obj, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and "first" not in marks and has_models():
                marks["first"] = clock.nsecsElapsed() / 1e9
                if self.painted is not None:
                    QTimer.singleShot(0, self.painted)
            return False

    watch = PaintWatch()
    tree.viewport().installEventFilter(watch)

    def beat() -> None:
        now = clock.nsecsElapsed() / 1e9
        gaps.append(now - last[0])
        if now - last[0] > 0.03:
            LONG_GAPS.append((round(last[0], 3), round(now - last[0], 3)))
        last[0] = now

    heart = QTimer()
    heart.setInterval(HEARTBEAT_MS)
    heart.timeout.connect(beat)
    clock.start()
    heart.start()
    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    last[0] = clock.nsecsElapsed() / 1e9
    gaps.append(last[0])  # the call itself counts as a stall
    loop = QEventLoop()
    window.registry.branches.changed.connect(
        lambda _b: loop.quit() if not window.registry.branches.is_listing(branch) else None)
    QTimer.singleShot(int(TIMEOUT_S * 1000), loop.quit)
    if window.registry.branches.is_listing(branch):
        loop.exec()
    marks["all"] = clock.nsecsElapsed() / 1e9
    if "first" not in marks:  # the rows came in one go: the paint that shows them is next
        QTimer.singleShot(0, tree.viewport().update)
        QTimer.singleShot(int(TIMEOUT_S * 1000), loop.quit)
        watch.painted = loop.quit
        loop.exec()
    heart.stop()
    tree.viewport().removeEventFilter(watch)
    models = branch.models
    if branch.state != "ready":
        raise RuntimeError(f"the listing ended {branch.state}: {branch.error}")
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    stall = max(0.0, max(gaps) - HEARTBEAT_MS / 1000)
    return marks["first"], marks["all"], stall, models


def run(quick: bool = False, repeat: int | None = None) -> list[Row]:
    if not have_mlflow():
        return [Row(job="10 registry-gui", case="GUI skipped", ours=Timing(),
                    note="needs mlflow (the server and the counterpart)")]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from mlflow import MlflowClient
    from mlflow_server import MlflowServer
    from PySide6.QtWidgets import QApplication

    from mlmanager.core.remote.auth import ServerAuth
    from mlmanager.core.remote.download import DownloadCache
    from mlmanager.core.remote.registry import FIRST_PAGE, ServerRegistry

    repeat = repeat or (3 if quick else 5)
    work = Path(tempfile.mkdtemp(prefix="mlmanager-bench-registry-gui-"))
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    os.environ["MLMANAGER_DOWNLOAD_CACHE"] = str(work / "cache")
    app = QApplication.instance() or QApplication([])
    server = MlflowServer(work / "server")
    first, whole, stall, theirs = Timing(), Timing(), Timing(), Timing()
    counts = []
    try:
        server.start()
        url = server.url
        setup = ServerRegistry(url, ServerAuth(), cache=DownloadCache(work / "setup-cache"))
        setup.register_model_folder(REPO / "tests" / "corpus" / "mlflow-models" /
                                    "iris_logreg_colspec", "template")
        _clone(server.folder / "mlflow.db", "template", N_MODELS, N_VERSIONS)
        _one_listing(app, url)  # warm-up: imports, the server's caches
        for _ in range(repeat):
            f, w, s, n = _one_listing(app, url)
            first.samples.append(f)
            whole.samples.append(w)
            stall.samples.append(s)
            counts.append(n)
            start = time.perf_counter()
            # registry_uri too: without it MLflow 3 resolves its default (./mlflow.db)
            MlflowClient(tracking_uri=url, registry_uri=url).search_registered_models(
                max_results=FIRST_PAGE)
            theirs.samples.append(time.perf_counter() - start)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    n = f"{N_MODELS:,} models x {N_VERSIONS} versions"
    return [
        Row(job="10 registry-gui", case=f"GUI: first page on screen ({n})", ours=first, theirs=theirs,
            theirs_label="search_registered_models page (no paint)", target=f"<= {TARGET_FIRST} s",
            passed=first.median <= TARGET_FIRST, extra={"models": counts}),
        Row(job="10 registry-gui", case=f"GUI: whole listing in the library ({n})", ours=whole,
            target="report", extra={"models": counts}),
        Row(job="10 registry-gui", case="GUI: longest event-loop stall while listing", ours=stall,
            target=f"<= {int(TARGET_STALL * 1000)} ms", passed=stall.median <= TARGET_STALL),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args()
    rows = run(args.quick, args.repeat)
    print_table(rows)
    write_json("registry_gui", rows)


if __name__ == "__main__":
    main()
