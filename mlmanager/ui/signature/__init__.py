"""The visual signature editor: the Signature tab of a model (undoable edits, inference, save).

``register()`` adds the tab to the model view (key ``signature``); the lead's built-in list
does the same with ``("signature", "Signature", "mlmanager.ui.signature.page", "SignaturePage", 15)``.
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


def register() -> None:
    """Register the Signature tab (idempotent)."""
    from mlmanager.ui.signature.page import SignaturePage
    from mlmanager.ui.widgets.model_view import register_page

    register_page(PAGE_KEY, PAGE_TITLE, SignaturePage, PAGE_ORDER)
