"""The Deploy tab: will this model deploy to MLflow serving, Azure ML, Databricks — rule by rule —
the exact request to send it, its OpenAPI document, and a try-out on a real local MLflow server.

``register()`` adds the tab to the model view (key ``deploy``); the lead's built-in list does the
same with ``("deploy", "Deploy", "mlmanager.ui.deploy.page", "DeployPage", 60)``.
"""

from __future__ import annotations

PAGE_KEY = "deploy"
PAGE_TITLE = "Deploy"
PAGE_ORDER = 60


def register() -> None:
    """Register the Deploy tab (idempotent)."""
    from mlmanager.ui.deploy.page import DeployPage
    from mlmanager.ui.widgets.model_view import register_page

    register_page(PAGE_KEY, PAGE_TITLE, DeployPage, PAGE_ORDER)
