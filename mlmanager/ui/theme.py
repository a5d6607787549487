"""Light and dark colour schemes: pure functions of the scheme, applied once per change.

``colors(scheme)`` is plain data and ``palette(scheme)`` a QPalette built from it; badges and
banners take their colours from ``badge_colors``. All are pure, so tests check both schemes
offscreen, where the system scheme always reads "unknown". There is deliberately no
application-wide style sheet: it would route every widget through QStyleSheetStyle, which
slows start-up and painting; widgets follow the palette instead.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette


class Scheme(str, Enum):
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class ThemeColors:
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    border: str
    highlight: str
    highlighted_text: str
    link: str
    tooltip_base: str
    tooltip_text: str
    icon: str
    icon_disabled: str
    ok: str
    warning: str
    error: str
    info: str
    ok_bg: str
    warning_bg: str
    error_bg: str
    info_bg: str
    code_bg: str


_LIGHT = ThemeColors(
    window="#f3f4f6",
    base="#ffffff",
    alt_base="#f7f8fa",
    text="#1f2328",
    muted="#636c76",
    button="#eceef1",
    border="#d0d7de",
    highlight="#2f6fd6",
    highlighted_text="#ffffff",
    link="#1f5fbf",
    tooltip_base="#ffffff",
    tooltip_text="#1f2328",
    icon="#3d4650",
    icon_disabled="#a4abb3",
    ok="#1f7f45",
    warning="#9a6700",
    error="#c62828",
    info="#1f5fbf",
    ok_bg="#dcf3e4",
    warning_bg="#fff1c7",
    error_bg="#fde2e1",
    info_bg="#ddeafc",
    code_bg="#f6f8fa",
)

_DARK = ThemeColors(
    window="#1f2227",
    base="#16181c",
    alt_base="#1c1f24",
    text="#e6e8eb",
    muted="#9aa3ad",
    button="#2b2f36",
    border="#3a4049",
    highlight="#3b7ddd",
    highlighted_text="#ffffff",
    link="#78aef7",
    tooltip_base="#2b2f36",
    tooltip_text="#e6e8eb",
    icon="#c9d1d9",
    icon_disabled="#5c636c",
    ok="#5cc98a",
    warning="#e3b341",
    error="#ff7b72",
    info="#78aef7",
    ok_bg="#1d3a2a",
    warning_bg="#3d3115",
    error_bg="#44201f",
    info_bg="#1b2f4d",
    code_bg="#1c1f24",
)


def colors(scheme: Scheme) -> ThemeColors:
    """The colours of a scheme (pure)."""
    return _DARK if Scheme(scheme) is Scheme.DARK else _LIGHT


def palette(scheme: Scheme) -> QPalette:
    """A complete QPalette for the scheme (pure: no application state is read or written)."""
    c = colors(scheme)
    pal = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    entries = {
        role.Window: c.window,
        role.WindowText: c.text,
        role.Base: c.base,
        role.AlternateBase: c.alt_base,
        role.ToolTipBase: c.tooltip_base,
        role.ToolTipText: c.tooltip_text,
        role.PlaceholderText: c.muted,
        role.Text: c.text,
        role.Button: c.button,
        role.ButtonText: c.text,
        role.BrightText: "#ffffff",
        role.Highlight: c.highlight,
        role.HighlightedText: c.highlighted_text,
        role.Link: c.link,
        role.LinkVisited: c.link,
        role.Mid: c.border,
        role.Midlight: c.alt_base,
        role.Dark: c.border,
        role.Shadow: "#000000",
        role.Light: c.base,
    }
    for r, value in entries.items():
        pal.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(group.Disabled, r, QColor(c.icon_disabled))
    pal.setColor(group.Disabled, role.Highlight, QColor(c.border))
    pal.setColor(group.Inactive, role.Highlight, QColor(c.highlight).lighter(130)
                 if scheme is Scheme.LIGHT else QColor(c.highlight).darker(140))
    return pal


def badge_colors(scheme: Scheme, level: str) -> tuple[str, str]:
    """(background, text) of a badge or banner of ``level`` (ok | info | warning | error)."""
    c = colors(scheme)
    return {
        "ok": (c.ok_bg, c.ok),
        "warning": (c.warning_bg, c.warning),
        "error": (c.error_bg, c.error),
    }.get(level, (c.info_bg, c.info))


def banner_style(scheme: Scheme, level: str) -> str:
    """Style sheet of one banner frame (set on that widget only: no app-wide style sheet, which
    would make Qt restyle every widget through QStyleSheetStyle)."""
    bg, fg = badge_colors(scheme, level)
    return f"QFrame#banner {{ background: {bg}; border: 1px solid {fg}; border-radius: 6px; }}"


# --------------------------------------------------------------------------------------------
# Application state (the only impure part)

_current = Scheme.LIGHT


class _Notifier(QObject):
    changed = Signal(str)


_notifier: _Notifier | None = None


def notifier() -> _Notifier:
    """Emits ``changed(scheme)`` after a scheme was applied (for widgets with custom colours)."""
    global _notifier
    if _notifier is None:
        _notifier = _Notifier()
    return _notifier


def current_scheme() -> Scheme:
    return _current


def current_colors() -> ThemeColors:
    return colors(_current)


def system_scheme() -> Scheme:
    """The system's scheme; unknown (offscreen, old platforms) reads as light."""
    app = QGuiApplication.instance()
    if app is None:
        return Scheme.LIGHT
    hint = QGuiApplication.styleHints().colorScheme()
    return Scheme.DARK if hint == Qt.ColorScheme.Dark else Scheme.LIGHT


class ThemeManager(QObject):
    """Applies a scheme to the application and follows the system's changes."""

    changed = Signal(str)

    def __init__(self, app: QGuiApplication, forced: Scheme | None = None, use_fusion: bool = True) -> None:
        super().__init__(app)
        self._app = app
        self._forced = forced
        if sys.platform != "darwin" and use_fusion:
            # Fusion follows the palette everywhere (the native Windows style ignores dark ones).
            # run() passes "-style Fusion" to QApplication instead, which is cheaper.
            app.setStyle("Fusion")  # type: ignore[attr-defined]
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_change)
        self.apply(forced or system_scheme())

    @property
    def scheme(self) -> Scheme:
        return _current

    def apply(self, scheme: Scheme) -> None:
        global _current
        _current = Scheme(scheme)
        self._app.setPalette(palette(_current))
        self.changed.emit(_current.value)
        notifier().changed.emit(_current.value)

    def _on_system_change(self, _scheme: Qt.ColorScheme) -> None:
        if self._forced is None:
            self.apply(system_scheme())
