"""The desktop side of model registries (issue 15): a "Registered models" branch per source in
the library (``nodes``, ``branches``), the panel that shows a registry, a registered model or a
version (``panel``, ``details``), downloads into local copies (``downloads``), writes and
publishing (``writes``, ``dialogs``), server connections (``connect_dialog``) and the window's
façade over all of it (``controller``). The registry logic itself is Qt-free:
``mlmanager.core.library.registry`` and ``mlmanager.core.remote``.

This ``__init__`` holds only the registry actions' user-visible names, one source each (no
imports: the main window names its Registry menu's actions without loading the registry UI).
"""

from __future__ import annotations

# a local model folder uploaded as a new version of a registered model the user picks (the
# Registry menu, a registry's panel and context menu)
REGISTER_FOLDER_TEXT = "&Register a Model Folder…"
REGISTER_FOLDER_LABEL = REGISTER_FOLDER_TEXT.replace("&", "")
# the same, on a registered model (its panel and context menu, a folder dropped on it): the
# confirmation dialog is titled so too
REGISTER_VERSION_LABEL = "Register a New Version…"
REGISTER_VERSION_TITLE = REGISTER_VERSION_LABEL.rstrip("…")
