"""Render the application icon (resources/icons/app.svg) to the hicolor PNG sizes.

    python packaging/linux/make_icons.py            # writes packaging/linux/icons/hicolor/...
    python packaging/linux/make_icons.py --check    # exit 1 when a PNG is missing or stale

Uses Qt's QSvgRenderer offscreen (no display needed). The PNGs are committed, so packaging
does not need Qt at build time; run this again after changing app.svg.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

APP_ID = "io.github.mlmanager.MLManager"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parents[2]
SVG = ROOT / "resources" / "icons" / "app.svg"
HICOLOR = Path(__file__).resolve().parent / "icons" / "hicolor"


def icon_path(size: int) -> Path:
    return HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def scalable_path() -> Path:
    return HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"


def render(svg: Path, size: int) -> bytes:
    """PNG bytes of ``svg`` drawn into a transparent ``size`` x ``size`` square."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the PNGs are up to date")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    stale = []
    for size in SIZES:
        png = render(SVG, size)
        out = icon_path(size)
        if args.check:
            if not out.is_file() or out.read_bytes() != png:
                stale.append(str(out))
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)
    if args.check:
        if not scalable_path().is_file() or scalable_path().read_bytes() != SVG.read_bytes():
            stale.append(str(scalable_path()))
        for path in stale:
            print(f"stale or missing: {path}")
        return 1 if stale else 0
    scalable_path().parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SVG, scalable_path())
    print(f"wrote {len(SIZES)} PNGs and the SVG under {HICOLOR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
