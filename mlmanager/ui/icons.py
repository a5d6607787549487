"""Every icon of the app, from the SVG files in ``resources/icons``, recoloured per theme.

Outline icons draw with ``currentColor``; a small QIconEngine substitutes the theme's icon
colour (or the disabled/selected colour) when Qt asks for a pixmap, so one QIcon stays right
across a light/dark switch. Badges (ok, warning, error, ...) carry fixed colours that read on
both schemes. ``QIcon.fromTheme`` is not used: it is empty offscreen and differs per desktop.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QImageReader, QPainter, QPixmap

from mlmanager.resources_path import icons_dir
from mlmanager.ui import theme

#: file kind (mlmanager.core.model.artifacts) -> icon name
KIND_ICONS = {
    "mlmodel": "file-mlmodel",
    "model": "file-model",
    "env": "file-env",
    "example": "file-json",
    "code": "file-code",
    "data": "file",
    "other": "file",
    "symlink": "symlink",
    "special": "special",
    "dir": "folder",
}

_SUFFIX_ICONS = {
    ".py": "file-code",
    ".json": "file-json",
    ".yaml": "file-yaml",
    ".yml": "file-yaml",
    ".md": "file-markdown",
    ".markdown": "file-markdown",
    ".txt": "file-text",
    ".csv": "file-table",
    ".tsv": "file-table",
    ".parquet": "file-table",
    ".png": "file-image",
    ".jpg": "file-image",
    ".jpeg": "file-image",
    ".gif": "file-image",
    ".bmp": "file-image",
    ".svg": "file-image",
    ".webp": "file-image",
    ".html": "file-code",
}


@cache
def _svg_text(name: str) -> bytes:
    path = icons_dir() / f"{name}.svg"
    try:
        return path.read_bytes()
    except OSError:
        return (icons_dir() / "unknown.svg").read_bytes() if name != "unknown" else b""


class _SvgIconEngine(QIconEngine):
    """Renders an SVG at the requested size, with ``currentColor`` set from the theme."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._cache: dict[tuple[int, int, str], QPixmap] = {}

    def _colour(self, mode: QIcon.Mode) -> str:
        c = theme.current_colors()
        if mode == QIcon.Mode.Disabled:
            return c.icon_disabled
        if mode == QIcon.Mode.Selected:
            return c.highlighted_text
        return c.icon

    def _render(self, size: QSize, mode: QIcon.Mode) -> QPixmap:
        colour = self._colour(mode)
        key = (size.width(), size.height(), colour)
        pm = self._cache.get(key)
        if pm is None:
            data = _svg_text(self._name).replace(b"currentColor", colour.encode())
            if mode == QIcon.Mode.Disabled:
                data = data.replace(b"<svg ", b'<svg opacity=".45" ', 1)
            buf = QBuffer()
            buf.setData(QByteArray(data))
            buf.open(QIODevice.OpenModeFlag.ReadOnly)
            reader = QImageReader(buf, QByteArray(b"svg"))
            reader.setScaledSize(size)
            image = reader.read()
            pm = QPixmap.fromImage(image) if not image.isNull() else QPixmap(size)
            if image.isNull():
                pm.fill()
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = pm
        return pm

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:  # noqa: N802
        return self._render(size, mode)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        # not painter.device(): PySide resolves its Python type by initialising every paint
        # device class (and their enums), which costs ~50 ms the first time
        app = QGuiApplication.instance()
        ratio = app.devicePixelRatio() if app is not None else 1.0
        size = QSize(max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio)))
        pm = self._render(size, mode)
        painter.drawPixmap(rect, pm)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        side = min(size.width(), size.height())
        return QSize(side, side)

    def clone(self) -> QIconEngine:
        return _SvgIconEngine(self._name)

    def key(self) -> str:
        return "mlmanager-svg"

    def isNull(self) -> bool:  # noqa: N802
        return not _svg_text(self._name)


_icons: dict[str, QIcon] = {}


def icon(name: str) -> QIcon:
    """The named icon (a file in ``resources/icons`` without ``.svg``)."""
    ic = _icons.get(name)
    if ic is None:
        ic = QIcon(_SvgIconEngine(name))
        _icons[name] = ic
    return ic


def app_icon() -> QIcon:
    """The application icon (full colour; rendered by the same engine, so no extra plugin)."""
    return icon("app")


def icon_for_file(path: str, kind: str | None = None) -> QIcon:
    """An icon for an artifact: the kind decides for model/env/MLmodel files, else the suffix."""
    if kind in ("mlmodel", "model", "symlink", "special", "dir", "code"):
        return icon(KIND_ICONS[kind])
    lower = path.lower()
    dot = lower.rfind(".")
    if dot >= 0 and lower[dot:] in _SUFFIX_ICONS:
        return icon(_SUFFIX_ICONS[lower[dot:]])
    if kind == "env":
        return icon("file-env")
    if lower.endswith(("requirements.txt", "constraints.txt")):
        return icon("file-env")
    return icon(KIND_ICONS.get(kind or "other", "file"))


def available() -> list[str]:
    """Names of every bundled icon (for tests and the icon sheet)."""
    return sorted(p.stem for p in icons_dir().glob("*.svg"))
