"""Credentials and TLS settings, read exactly as MLflow's client reads them.

``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD`` (HTTP basic; else the ``[mlflow]``
section of ``~/.mlflow/credentials``: ``mlflow_tracking_username`` / ``..._password``),
``MLFLOW_TRACKING_TOKEN`` (bearer; wins over basic, as in MLflow), ``MLFLOW_TRACKING_INSECURE_TLS``
(skip certificate checks), ``MLFLOW_TRACKING_SERVER_CERT_PATH`` (a CA bundle) and
``MLFLOW_TRACKING_CLIENT_CERT_PATH`` (a client certificate). Secrets are never printed:
:meth:`ServerAuth.__repr__` hides them.
"""

from __future__ import annotations

import base64
import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_URI = "MLFLOW_TRACKING_URI"
ENV_USERNAME = "MLFLOW_TRACKING_USERNAME"
ENV_PASSWORD = "MLFLOW_TRACKING_PASSWORD"  # noqa: S105 - a variable name, not a secret
ENV_TOKEN = "MLFLOW_TRACKING_TOKEN"  # noqa: S105
ENV_INSECURE = "MLFLOW_TRACKING_INSECURE_TLS"
ENV_SERVER_CERT = "MLFLOW_TRACKING_SERVER_CERT_PATH"
ENV_CLIENT_CERT = "MLFLOW_TRACKING_CLIENT_CERT_PATH"


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def credentials_file(home: Path | None = None) -> Path:
    return (home or Path.home()) / ".mlflow" / "credentials"


def _from_file(path: Path) -> tuple[str | None, str | None]:
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None, None
    if not parser.has_section("mlflow"):
        return None, None
    section = parser["mlflow"]
    return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")


@dataclass(frozen=True)
class ServerAuth:
    """How to authenticate to one server, and how to check its TLS certificate."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    insecure_tls: bool = False
    server_cert_path: str | None = None
    client_cert_path: str | None = None

    @property
    def kind(self) -> str:
        """``token``, ``basic`` or ``none``: what :meth:`headers` sends."""
        if self.token:
            return "token"
        if self.username and self.password is not None:
            return "basic"
        return "none"

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username and self.password is not None:
            raw = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        return {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 home: Path | None = None) -> ServerAuth:
        """MLflow's view: environment first, then ``~/.mlflow/credentials``."""
        env = os.environ if environ is None else environ
        username, password = env.get(ENV_USERNAME), env.get(ENV_PASSWORD)
        if not username or password is None:
            file_user, file_password = _from_file(credentials_file(home))
            username = username or file_user
            password = password if password is not None else file_password
        return cls(
            username=username or None,
            password=password,
            token=env.get(ENV_TOKEN) or None,
            insecure_tls=_true(env.get(ENV_INSECURE)),
            server_cert_path=env.get(ENV_SERVER_CERT) or None,
            client_cert_path=env.get(ENV_CLIENT_CERT) or None,
        )


def default_server_uri(environ: Mapping[str, str] | None = None) -> str | None:
    """``$MLFLOW_TRACKING_URI``, or ``None`` when it is not set."""
    env = os.environ if environ is None else environ
    return env.get(ENV_URI) or None
