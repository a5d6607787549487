"""The visual signature editor: the Signature tab of a model (undoable edits, inference, save).

The tab is registered (key ``signature``) in ``mlmanager.ui.pages.tabs``; this ``__init__``
holds only what the main window needs before the editor is built (no imports: the page imports it).
"""

from __future__ import annotations

PAGE_KEY = "signature"
PAGE_TITLE = "Signature"
PAGE_ORDER = 15
# the editor's Save actions (the main window shows them as disabled placeholders until the
# editor is built, without importing it)
SAVE_TEXT = "&Save Signature…"
SAVE_COPY_TEXT = "Save Model &Copy…"
SAVE_COPY_SHORTCUT = "Ctrl+Shift+S"
# an edited registry version sent to its server as a new version of the same registered model
# (the code calls it publishing): the same words wherever a user sees it (menu, editor toolbar,
# the Overview's registry section, dialogs, docs)
SAVE_VERSION_TEXT = "Save as New &Version…"
SAVE_VERSION_LABEL = SAVE_VERSION_TEXT.replace("&", "")
SAVE_VERSION_TITLE = SAVE_VERSION_LABEL.rstrip("…")

