"""The Deploy tab: will this model deploy to MLflow serving, Azure ML, Databricks — rule by rule —
the exact request to send it, its OpenAPI document, and a try-out on a real local MLflow server.

The tab is registered (key ``deploy``) in ``mlmanager.ui.pages.tabs``.
"""
