"""Typed facade over QSettings (INI format): the one home of every settings key.

Values read back from an INI file come as strings (or a lone string for a one-item list), so
each property converts and falls back to a default on anything unexpected.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

MAX_RECENT = 10

K_RECENT = "recent/paths"
K_GEOMETRY = "window/geometry"
K_STATE = "window/state"
K_SPLITTER = "window/splitter"
K_LAST_DIR = "paths/last_dir"
K_VIEW = "view/tab"
K_PREDICT_MODE = "predict/mode"
K_PREDICT_TIMEOUT = "predict/timeout"
K_PREDICT_AUTORUN = "predict/autorun"
K_SERVER_PYTHON = "deploy/server_python"
K_PREDICT_PYTHONS = "predict/pythons"
MAX_PYTHONS = 5


def make_qsettings() -> QSettings:
    """The app's QSettings: INI, user scope, named after the application (tests rename it)."""
    app = QCoreApplication.instance()
    org = (app.organizationName() if app else "") or "mlmanager"
    name = (app.applicationName() if app else "") or "mlmanager"
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, org, name)


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, str) and v]
    return []


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _as_bytes(value: object) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None


class Settings:
    """Every persistent preference. ``read_only`` (screenshots) never writes anything."""

    def __init__(self, qsettings: QSettings | None = None, read_only: bool = False) -> None:
        self._s = qsettings if qsettings is not None else make_qsettings()
        self.read_only = read_only

    @property
    def qsettings(self) -> QSettings:
        return self._s

    @property
    def folder(self) -> Path:
        """The folder of the settings file (other per-user files, such as the trust store, go beside it)."""
        return Path(self._s.fileName()).parent

    def _set(self, key: str, value: object) -> None:
        if not self.read_only:
            self._s.setValue(key, value)

    def sync(self) -> None:
        if not self.read_only:
            self._s.sync()

    # recent models and tracking folders -------------------------------------------------------

    def recent_paths(self, drop_missing: bool = True) -> list[str]:
        """Most recent first (tracking servers' ``http(s)://`` URLs among them); paths that no
        longer exist are dropped (and forgotten)."""
        paths = _as_list(self._s.value(K_RECENT))
        if drop_missing:
            kept = [p for p in paths if _is_url(p) or os.path.exists(p)]
            if kept != paths:
                self._set(K_RECENT, kept)
            paths = kept
        return paths[:MAX_RECENT]

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        p = os.path.abspath(os.fspath(path))
        paths = [x for x in _as_list(self._s.value(K_RECENT)) if x != p]
        self._set(K_RECENT, [p, *paths][:MAX_RECENT])

    def add_recent_server(self, url: str) -> None:
        """A tracking server opened (its URL, without credentials: those never go here)."""
        parts = urlsplit(url)
        clean = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
        clean += parts.path.rstrip("/")
        paths = [x for x in _as_list(self._s.value(K_RECENT)) if x != clean]
        self._set(K_RECENT, [clean, *paths][:MAX_RECENT])

    def remove_recent(self, path: str) -> None:
        self._set(K_RECENT, [x for x in _as_list(self._s.value(K_RECENT)) if x != path])

    def clear_recent(self) -> None:
        self._set(K_RECENT, [])

    # window -------------------------------------------------------------------------------------

    @property
    def geometry(self) -> QByteArray | None:
        return _as_bytes(self._s.value(K_GEOMETRY))

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self._set(K_GEOMETRY, value)

    @property
    def window_state(self) -> QByteArray | None:
        return _as_bytes(self._s.value(K_STATE))

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self._set(K_STATE, value)

    @property
    def splitter_state(self) -> QByteArray | None:
        return _as_bytes(self._s.value(K_SPLITTER))

    @splitter_state.setter
    def splitter_state(self, value: QByteArray) -> None:
        self._set(K_SPLITTER, value)

    # misc ---------------------------------------------------------------------------------------

    @property
    def last_dir(self) -> str:
        value = self._s.value(K_LAST_DIR)
        if isinstance(value, str) and os.path.isdir(value):
            return value
        return str(Path.home())

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self._set(K_LAST_DIR, value)

    @property
    def view_tab(self) -> str | None:
        value = self._s.value(K_VIEW)
        return value if isinstance(value, str) and value else None

    @view_tab.setter
    def view_tab(self, value: str) -> None:
        self._set(K_VIEW, value)

    # Predict tab --------------------------------------------------------------------------------

    @property
    def predict_mode(self) -> str | None:
        """``serving`` | ``python`` as last chosen (None: never chosen)."""
        value = self._s.value(K_PREDICT_MODE)
        return value if isinstance(value, str) and value else None

    @predict_mode.setter
    def predict_mode(self, value: str) -> None:
        self._set(K_PREDICT_MODE, value)

    @property
    def predict_timeout(self) -> int | None:
        """Seconds a prediction may take, as last set (None: never set or unreadable)."""
        try:
            value = int(self._s.value(K_PREDICT_TIMEOUT))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return value if value >= 1 else None

    @predict_timeout.setter
    def predict_timeout(self, value: int) -> None:
        self._set(K_PREDICT_TIMEOUT, int(value))

    @property
    def predict_autorun(self) -> bool:
        """Predict as soon as the input checks out (default on)."""
        return str(self._s.value(K_PREDICT_AUTORUN, "true")).lower() != "false"

    @predict_autorun.setter
    def predict_autorun(self, value: bool) -> None:
        self._set(K_PREDICT_AUTORUN, "true" if value else "false")

    @property
    def predict_pythons(self) -> list[str]:
        """Interpreters picked in the Predict tab's "Run in" (most recent first, existing only)."""
        return [p for p in _as_list(self._s.value(K_PREDICT_PYTHONS)) if os.path.exists(p)][:MAX_PYTHONS]

    def add_predict_python(self, path: str) -> None:
        paths = [p for p in _as_list(self._s.value(K_PREDICT_PYTHONS)) if p != path]
        self._set(K_PREDICT_PYTHONS, [path, *paths][:MAX_PYTHONS])

    # Deploy tab ---------------------------------------------------------------------------------

    @property
    def server_python(self) -> str | None:
        """The 'Python with mlflow' the local server runs with, if chosen and it still exists."""
        value = self._s.value(K_SERVER_PYTHON)
        return value if isinstance(value, str) and value and os.path.exists(value) else None

    @server_python.setter
    def server_python(self, value: str | None) -> None:
        """None forgets the choice (back to the default interpreter)."""
        if self.read_only:
            return
        if value:
            self._s.setValue(K_SERVER_PYTHON, value)
        else:
            self._s.remove(K_SERVER_PYTHON)

