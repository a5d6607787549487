"""The library tree's delegate: alias badges after a version's label (``@champion``), a status
badge when a version is not READY, a muted version count after a registered model, and the
highlight of the registered model a dragged folder would be registered to.

Everything else is painted by ``QStyledItemDelegate`` as before; only the rows on screen are
painted, so a registry of thousands of versions costs nothing extra.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from mlmanager.ui import theme
from mlmanager.ui.models.library import REGISTERED, VERSION, Node, NodeRole

PILL_GAP = 5
PILL_PAD = 6
MAX_PILLS = 4
LAYOUT_CACHE_MAX = 4096  # remembered row layouts (a few screens' worth of distinct rows)


class _Layout(NamedTuple):
    """A row's badges and suffix, relative to the row's top left corner."""

    radius: float
    pills: list[tuple[QRectF, str, str]]
    suffix_rect: QRectF
    suffix: str  # elided to fit


def pills_for(node: Node) -> list[tuple[str, str]]:
    """(text, level) of the badges painted after a row's label."""
    if node.kind == VERSION:
        version = node.payload.version
        out = [(f"@{a}", "info") for a in version.aliases[:MAX_PILLS]]
        if len(version.aliases) > MAX_PILLS:
            out.append((f"+{len(version.aliases) - MAX_PILLS}", "info"))
        if version.status != "READY":
            out.append((version.status.replace("_", " ").lower(),
                        "error" if "FAIL" in version.status else "warning"))
        return out
    return []


def suffix_for(node: Node) -> str:
    if node.kind == REGISTERED:
        n = len(node.payload.model.versions)
        return f"{n} version{'s' if n != 1 else ''}"
    return ""


class LibraryDelegate(QStyledItemDelegate):
    """See the module docstring. ``drop_target``: the node a drag hovers (highlighted)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.drop_target: Node | None = None
        self._layouts: dict[tuple, _Layout] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        node = index.data(NodeRole)
        if node is None:
            return
        if node is self.drop_target:
            self._paint_drop_target(painter, option)
        if node.kind not in (VERSION, REGISTERED):
            return
        pills = tuple(pills_for(node))
        suffix = suffix_for(node)
        if not pills and not suffix:
            return
        self._paint_after_text(painter, option, index, node, pills, suffix)

    def _layout(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex,
                font: QFont, pills: tuple[tuple[str, str], ...], suffix: str) -> _Layout:
        """Where the badges and the suffix go, relative to the row's top left corner."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            text_rect, x = QRect(option.rect), option.rect.left()
        else:
            text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
            x = text_rect.left() + QFontMetrics(opt.font).horizontalAdvance(opt.text) + 4
        origin = option.rect.topLeft()
        text_rect.translate(-origin)
        x -= origin.x()
        right = option.rect.width() - 3
        fm = QFontMetrics(font)
        height = min(text_rect.height() - 2, fm.height() + 2)
        top = text_rect.top() + (text_rect.height() - height) / 2
        placed = []
        for text, level in pills:
            w = fm.horizontalAdvance(text) + 2 * PILL_PAD
            if x + PILL_GAP + w > right:
                break
            x += PILL_GAP
            placed.append((QRectF(x, top, w, height), text, level))
            x += w
        suffix_rect = QRectF(x + PILL_GAP, text_rect.top(), max(0, right - x - PILL_GAP),
                             text_rect.height())
        shown = fm.elidedText(suffix, Qt.TextElideMode.ElideRight, int(suffix_rect.width()))
        return _Layout(height / 2, placed, suffix_rect, shown)

    def _paint_after_text(self, painter: QPainter, option: QStyleOptionViewItem,
                          index: QModelIndex | QPersistentModelIndex, node: Node,
                          pills: tuple[tuple[str, str], ...], suffix: str) -> None:
        font = painter.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.86))
        rect = option.rect
        # The geometry is the same for every row of the same label, badges and width: measuring
        # it (a second initStyleOption, the style's text rect, font metrics) on every paint made
        # the repaint after a listing page arrived the GUI thread's longest stall.
        key = (node.kind, node.label, pills, suffix, rect.width(), rect.height(), font.key(),
               option.decorationSize.width())
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) >= LAYOUT_CACHE_MAX:
                self._layouts.clear()
            layout = self._layouts[key] = self._layout(option, index, font, pills, suffix)
        scheme = theme.current_scheme()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.translate(rect.topLeft())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        radius = layout.radius
        for pill, text, level in layout.pills:
            bg, fg = theme.badge_colors(scheme, level)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(bg))
            painter.drawRoundedRect(pill, radius, radius)
            painter.setPen(QColor(fg))
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
        if layout.suffix:
            colors = theme.current_colors()
            painter.setPen(QColor(colors.highlighted_text if selected else colors.icon_disabled))
            painter.drawText(layout.suffix_rect,
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             layout.suffix)
        painter.restore()

    def _paint_drop_target(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        colors = theme.current_colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colors.link), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(option.rect).adjusted(1, 1, -1, -1), 4, 4)
        painter.restore()
