"""The visual signature editor: the Signature tab of a model (undoable edits, inference, save).

``register()`` adds the tab to the model view (key ``signature``); the lead's built-in list
does the same with ``("signature", "Signature", "mlmanager.ui.signature.page", "SignaturePage", 15)``.
"""

from __future__ import annotations

PAGE_KEY = "signature"
PAGE_TITLE = "Signature"
PAGE_ORDER = 15


def register() -> None:
    """Register the Signature tab (idempotent)."""
    from mlmanager.ui.signature.page import SignaturePage
    from mlmanager.ui.widgets.model_view import register_page

    register_page(PAGE_KEY, PAGE_TITLE, SignaturePage, PAGE_ORDER)
