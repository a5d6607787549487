"""Per-user folders of mlmanager (the same places the worker uses for its caches)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir() -> Path:
    """``~/.cache/mlmanager`` (``$XDG_CACHE_HOME``), ``~/Library/Caches/mlmanager`` on macOS,
    ``%LOCALAPPDATA%\\mlmanager\\cache`` on Windows."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "mlmanager" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "mlmanager"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlmanager"


def user_config_dir() -> Path:
    """``~/.config/mlmanager`` (``$XDG_CONFIG_HOME``), ``~/Library/Application Support/mlmanager``
    on macOS, ``%APPDATA%\\mlmanager`` on Windows."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "mlmanager"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "mlmanager"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "mlmanager"


def user_data_dir() -> Path:
    """``~/.local/share/mlmanager`` (``$XDG_DATA_HOME``), ``~/Library/Application Support/
    mlmanager`` on macOS, ``%LOCALAPPDATA%\\mlmanager`` on Windows: files the user keeps
    (downloaded versions they may edit), unlike the cache."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "mlmanager"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "mlmanager"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "mlmanager"
