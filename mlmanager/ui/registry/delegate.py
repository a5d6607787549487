"""The library tree's delegate: alias badges after a version's label (``@champion``), a status
badge when a version is not READY, a muted version count after a registered model, and the
highlight of the registered model a dragged folder would be registered to.

Everything else is painted by ``QStyledItemDelegate`` as before; only the rows on screen are
painted, so a registry of thousands of versions costs nothing extra.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from mlmanager.ui import theme
from mlmanager.ui.models.library import REGISTERED, VERSION, Node, NodeRole

PILL_GAP = 5
PILL_PAD = 6
MAX_PILLS = 4


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
        pills = pills_for(node)
        suffix = suffix_for(node)
        if not pills and not suffix:
            return
        self._paint_after_text(painter, option, index, pills, suffix)

    def _text_end(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> tuple[QRect, int]:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return option.rect, option.rect.left()
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        width = QFontMetrics(opt.font).horizontalAdvance(opt.text)
        return text_rect, text_rect.left() + width + 4

    def _paint_after_text(self, painter: QPainter, option: QStyleOptionViewItem,
                          index: QModelIndex | QPersistentModelIndex,
                          pills: list[tuple[str, str]], suffix: str) -> None:
        text_rect, x = self._text_end(option, index)
        right = option.rect.right() - 2
        scheme = theme.current_scheme()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = painter.font()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.86))
        painter.setFont(font)
        fm = QFontMetrics(font)
        height = min(text_rect.height() - 2, fm.height() + 2)
        top = text_rect.top() + (text_rect.height() - height) / 2
        for text, level in pills:
            w = fm.horizontalAdvance(text) + 2 * PILL_PAD
            if x + PILL_GAP + w > right:
                break
            x += PILL_GAP
            bg, fg = theme.badge_colors(scheme, level)
            rect = QRectF(x, top, w, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(bg))
            painter.drawRoundedRect(rect, height / 2, height / 2)
            painter.setPen(QColor(fg))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
            x += w
        if suffix:
            colors = theme.current_colors()
            painter.setPen(QColor(colors.highlighted_text if selected else colors.icon_disabled))
            rect = QRectF(x + PILL_GAP, text_rect.top(), max(0, right - x - PILL_GAP),
                          text_rect.height())
            shown = fm.elidedText(suffix, Qt.TextElideMode.ElideRight, int(rect.width()))
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             shown)
        painter.restore()

    def _paint_drop_target(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        colors = theme.current_colors()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colors.link), 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(option.rect).adjusted(1, 1, -1, -1), 4, 4)
        painter.restore()
