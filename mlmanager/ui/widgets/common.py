"""Small shared widgets and formatting: badges, banners, code views, facts forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons, theme

SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard


def style_role(widget: QWidget, role: str) -> None:
    """Give a widget a text role by font and palette role (they follow the theme by themselves):
    heading | subheading | section | muted."""
    font = QFont(widget.font())
    if role == "heading":
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setWeight(QFont.Weight.DemiBold)
    elif role in ("subheading", "section"):
        font.setWeight(QFont.Weight.DemiBold)
    widget.setFont(font)
    if role in ("muted", "section"):
        widget.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    if role == "section" and isinstance(widget, QLabel):
        widget.setContentsMargins(0, 6, 0, 0)


def parse_utc(value: Any) -> dt.datetime | None:
    """MLmodel's naive-UTC ``YYYY-MM-DD HH:MM:SS[.ffffff]`` as an aware datetime."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp


def format_created(value: Any) -> tuple[str, str]:
    """(text, tooltip) for ``utc_time_created``: UTC first, then local time."""
    stamp = parse_utc(value)
    if stamp is None:
        return ("—" if value is None else str(value)), ""
    utc = stamp.astimezone(dt.timezone.utc)
    local = stamp.astimezone()
    text = f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    if local.utcoffset() != dt.timedelta(0):
        text += f"   ·   {local:%Y-%m-%d %H:%M} {local.tzname() or 'local'}"
    else:
        text += "   ·   same in local time"
    return text, f"Stored in MLmodel as {value!r} (UTC without a zone)"


def monospace_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    return font


class Badge(QLabel):
    """A rounded coloured label with a tooltip: ok | warning | error | info (painted, no CSS)."""

    def __init__(self, text: str, level: str = "info", tooltip: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.level = level
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self.setContentsMargins(9, 2, 9, 2)
        self.setToolTip(tooltip)
        self.setAccessibleName(f"{level}: {text}")
        self.setAccessibleDescription(tooltip)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable with Tab, so the tooltip is too
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        bg, fg = theme.badge_colors(theme.current_scheme(), self.level)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = rect.height() / 2
        p.setPen(QPen(QColor(fg), 1.5) if self.hasFocus() else Qt.PenStyle.NoPen)
        p.setBrush(QColor(bg))
        p.drawRoundedRect(rect, radius, radius)
        p.setPen(QColor(fg))
        p.setFont(self.font())
        p.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignCenter), self.text())


class Banner(QFrame):
    """A coloured box with an icon, a title, a message and an optional action button."""

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.level = "info"
        theme.notifier().changed.connect(self._restyle)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(10)
        self._icon = QLabel()
        self._icon.setFixedSize(20, 20)
        lay.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        col = QVBoxLayout()
        col.setSpacing(2)
        self.title = QLabel()
        style_role(self.title, "subheading")
        self.title.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(SELECTABLE)
        col.addWidget(self.title)
        col.addWidget(self.message)
        lay.addLayout(col, 1)
        self.button = QPushButton()
        self.button.clicked.connect(self.action_clicked)
        self.button.hide()
        lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)

    def _restyle(self, _scheme: str = "") -> None:
        css = theme.banner_style(theme.current_scheme(), self.level)
        if css != self.styleSheet():
            self.setStyleSheet(css)

    def show_message(self, level: str, title: str, message: str = "", action: str | None = None) -> None:
        if level != self.level or not self.styleSheet():
            self.level = level
            self._restyle()
        icon_name = {"error": "error", "warning": "warning"}.get(level, "info")
        self._icon.setPixmap(icons.icon(icon_name).pixmap(20, 20))
        self.title.setText(title)
        self.message.setText(message)
        self.message.setVisible(bool(message))
        self.button.setVisible(action is not None)
        if action:
            self.button.setText(action)
        self.show()


class ElidedLabel(QLabel):
    """One line of text that shrinks with "…" in the middle instead of forcing a minimum width
    (a long path must not push the splitter around)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width() - 2, 10)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, width)
        super().setText(shown)


class CodeView(QPlainTextEdit):
    """Read-only monospace text (raw YAML, file previews)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFont(monospace_font())
        self.setWordWrapMode(QTextOption.WrapMode.NoWrap)
        self.setTextInteractionFlags(SELECTABLE)
        self.setTabChangesFocus(True)


def compact_rows(view: QAbstractItemView) -> None:
    """Row height from the font (Fusion's default rows are roomy for dense tables)."""
    header = getattr(view, "verticalHeader", None)
    if header is not None:
        header().setDefaultSectionSize(view.fontMetrics().height() + 8)
        header().setMinimumSectionSize(view.fontMetrics().height() + 4)


def muted_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    style_role(label, "muted")
    label.setWordWrap(True)
    return label


def section_label(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text.upper(), parent)
    style_role(label, "section")
    return label


def value_label(text: str = "", tooltip: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setTextInteractionFlags(SELECTABLE)
    label.setWordWrap(True)
    label.setToolTip(tooltip)
    label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return label
