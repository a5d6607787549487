"""The tests of ``mlmanager.core.remote`` (the tracking-server client) need ``mlflow`` (a test
extra: the real servers, and MlflowClient as the judge). The real server fixtures every test folder
uses (``mlflow_server``, ``auth_server``, ``mlflow2_server``, ``mlflow2_client``,
``client_env``) are ``tests/mlflow_fixtures.py``'s."""

from __future__ import annotations

import pytest

mlflow = pytest.importorskip("mlflow")
