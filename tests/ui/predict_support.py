"""Fixtures and helpers for the Predict tab tests (imported by tests/ui/test_predict_*.py).

One warm prediction worker (``WorkerPool(1)``) and one input helper process serve every test
of the session; each test gets a fresh main window with the Predict tab registered.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import worker_builders as wb  # hostile and slow models (tests/worker_builders.py)
from corpus_paths import MODELS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def xdg_cache(request: pytest.FixtureRequest) -> Path:
    """A cache home whose ``mlmanager`` folder holds the worker's allowlist. It lives in
    pytest's cache folder, so the allowlist (keyed by the library versions) is built once."""
    base = Path(request.config.cache.mkdir("mlmanager-xdg-cache"))
    (base / "mlmanager").mkdir(exist_ok=True)
    return base


@pytest.fixture(scope="session")
def predict_services(xdg_cache: Path) -> Iterator[Any]:
    from mlmanager.predict.input_helper import InputHelper
    from mlmanager.ui.pages.predict.page import PredictServices
    from mlmanager.ui.pages.predict.run_controller import WorkerPool

    services = PredictServices(WorkerPool(2, cache_dir=str(xdg_cache / "mlmanager")), InputHelper(),
                               owned=False)
    yield services
    services.close()


@pytest.fixture
def predict_window(qtbot, prompter, predict_services) -> Iterator[Any]:
    """A main window whose model view has the Predict tab (backed by the shared services)."""
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.pages import tabs
    from mlmanager.ui.pages.predict.page import PredictPage
    from mlmanager.ui.settings import Settings

    with tabs.page_override("predict", lambda ctx: PredictPage(ctx, services=predict_services),
                                  "Predict", 50):
        win = MainWindow(Settings(), prompter)
    qtbot.addWidget(win)
    win.show()
    yield win
    page = win.view.page("predict", create=False)
    if page is not None:
        if page.runner.running:
            page.runner.cancel()
        qtbot.waitUntil(lambda: not page.is_busy(), timeout=30_000)
    win.shutdown()


def wait_page(qtbot, page, timeout: int = 60_000) -> None:
    """Process events until the page and the window have nothing running."""
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=timeout)


def open_predict(qtbot, win, model_dir: Path, *, autorun: bool = False):
    """Open a model, show its Predict tab, wait for the scan; returns the page."""
    win.open_model(model_dir)
    qtbot.waitUntil(lambda: not win.is_busy() or (win.view.entry is not None and win.view.entry.doc is not None),
                    timeout=30_000)
    qtbot.waitUntil(lambda: win.view.entry is not None and win.view.entry.state.value != "loading",
                    timeout=30_000)
    win.view.set_current_page("predict")
    page = win.view.page("predict")
    page.autorun.setChecked(autorun)
    wait_page(qtbot, page)
    return page


def set_mode(page, mode: str) -> None:
    """Choose the semantics without re-checking the current input."""
    page.mode_combo.blockSignals(True)
    page.set_mode(mode)
    page.mode_combo.blockSignals(False)


def load(qtbot, page, path: Path | str, mode: str | None = None) -> Any:
    """Load an input file (optionally in a mode) and wait for its check; returns the outcome."""
    if mode is not None:
        set_mode(page, mode)
    page.load_input_file(path)
    wait_page(qtbot, page)
    return page._state.check


def recheck(qtbot, page, mode: str) -> Any:
    """Check the current input again in another semantics."""
    page.set_mode(mode)
    wait_page(qtbot, page)
    return page._state.check


def run(qtbot, page, ask: bool = True) -> None:
    page.run(ask=ask)
    wait_page(qtbot, page, timeout=120_000)


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    for p in [dest, *dest.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o200)
    return dest


def expected(name: str) -> dict:
    return json.loads((MODELS / f"{name}.expected.json").read_text())


def corpus_names() -> list[str]:
    if not MODELS.is_dir():
        return []
    out = []
    for exp in sorted(MODELS.glob("*.expected.json")):
        data = json.loads(exp.read_text())
        if data.get("kind") != "tracking" and data.get("model_dir"):
            out.append(data["name"])
    return out


def same_values(a: Any, b: Any, rel: float = 1e-9) -> bool:
    """Structural equality with a tolerance for floats (predictions after JSON round trips)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k], rel) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_values(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    return a == b


def slow_model_folder(folder: Path, seconds: float = 600) -> Path:
    """A trusted-only model: a cloudpickled Pipeline(FunctionTransformer(sleep) -> LogisticRegression)
    whose predict sleeps ``seconds`` on 2-row inputs (fitting on 40 rows does not sleep)."""
    import cloudpickle
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(  # noqa: S102 - a function pickled by value, like a notebook's
        "import time\n"
        "def slow(X):\n"
        f"    if len(X) == 2:\n        time.sleep({seconds})\n"
        "    return X\n",
        ns,
    )
    X, y = wb.xy()
    pipe = Pipeline([("slow", FunctionTransformer(ns["slow"])), ("lr", LogisticRegression())]).fit(X, y)
    return wb.write_model(folder, cloudpickle.dumps(pipe))


def write_xy_csv(path: Path, rows: int = 2) -> Path:
    lines = ["0,1,2"] + [f"{0.1 * i},{0.2 * i},{0.3 * i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path
