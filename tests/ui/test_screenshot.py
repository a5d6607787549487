"""``mlmanager --screenshot`` renders after loading and exits; start-up stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    return env


def test_cli_screenshot_of_demo(tmp_path: Path) -> None:
    out = tmp_path / "shots" / "artifacts.png"
    proc = subprocess.run(
        [sys.executable, "-m", "mlmanager", "--demo", "--screenshot", str(out), "--view", "artifacts"],
        cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert not image.isNull()
    assert (image.width(), image.height()) == (1280, 800)
    # not a blank canvas: many distinct colours
    colours = {image.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 10
    assert not (tmp_path / "cfg" / "mlmanager").exists()  # screenshots never write settings


def test_run_opens_model_without_heavy_imports(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from mlmanager.ui.app import run\n"
        "from mlmanager.resources_path import demo_model_path\n"
        f"rc = run([str(demo_model_path()), {str(tmp_path / 'missing')!r}], "
        f"screenshot={str(tmp_path / 'o.png')!r}, view='environment')\n"
        "print(json.dumps({'rc': rc, 'heavy': [m for m in ('pandas', 'numpy', 'sklearn', 'mlflow') "
        "if m in sys.modules]}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"rc": 0, "heavy": []}
    assert "does not exist" in proc.stderr  # unattended: said on stderr, no dialog blocks
