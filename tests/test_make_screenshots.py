"""docs/make_screenshots.py: every picture the README and docs show has a recipe there, and the
recipes render on neutral paths (a temporary home: ``~/models/...``)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("make_screenshots", REPO / "docs" / "make_screenshots.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_screenshots"] = module
    spec.loader.exec_module(module)
    return module


def test_every_documented_picture_has_a_recipe() -> None:
    docs = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    shown = {m for doc in docs for m in re.findall(r"!\[[^\]]*\]\([^)]*img/([\w-]+)\.png\)", doc.read_text())}
    names = {shot.name for shot in _script().SHOTS}
    assert shown and shown <= names, sorted(shown - names)
    assert all((REPO / "docs" / "img" / f"{name}.png").is_file() for name in shown)


def test_recipes_render_from_a_temporary_home(tmp_path: Path) -> None:
    script = _script()
    assert script.main(["--only", "guide-welcome,artifacts", "--out", str(tmp_path)]) == 0
    for name in ("guide-welcome", "artifacts"):
        image = QImage(str(tmp_path / f"{name}.png"))
        assert (image.width(), image.height()) == (1280, 800)
