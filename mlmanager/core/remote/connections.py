"""Saved server connections: name, URI and how to log in; secrets only in the OS keyring.

The list lives in ``<user config>/connections.json`` (name, URI, auth kind, username, TLS
settings) and never holds a password or token: those go to the keyring (``keyring`` package,
service ``mlmanager``, one entry per connection name). The keyring backend is injectable (tests
pass a real in-memory backend). Without a usable backend, saving a secret is refused with a
message saying so, and connections log in with MLflow's environment variables
(``MLFLOW_TRACKING_USERNAME``/``PASSWORD``, ``MLFLOW_TRACKING_TOKEN``) instead; nothing secret is
ever written in plain text.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import InvalidError, ModelReadError
from mlmanager.core.remote.auth import ENV_PASSWORD, ENV_TOKEN, ServerAuth
from mlmanager.core.userdirs import user_config_dir

SERVICE = "mlmanager"
AuthKind = Literal["none", "basic", "token", "env"]
AUTH_KINDS = ("none", "basic", "token", "env")


class KeyringBackend(Protocol):
    """The part of ``keyring``'s backend API used here."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class NoKeyringError(InvalidError):
    """No OS keyring is available to hold a secret."""


@dataclass(frozen=True)
class Connection:
    """A saved server. ``auth``: none, basic (username + password in the keyring), token
    (bearer token in the keyring) or env (MLflow's environment variables)."""

    name: str
    uri: str
    auth: AuthKind = "env"
    username: str | None = None
    insecure_tls: bool = False
    server_cert_path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Connection:
        auth = doc.get("auth", "env")
        return cls(name=str(doc["name"]), uri=str(doc["uri"]),
                   auth=auth if auth in AUTH_KINDS else "env",
                   username=doc.get("username") or None,
                   insecure_tls=bool(doc.get("insecure_tls", False)),
                   server_cert_path=doc.get("server_cert_path") or None)


def system_keyring() -> tuple[KeyringBackend | None, str]:
    """The OS keyring, or ``None`` and why there is none."""
    try:
        import keyring  # deferred: imports its backends (and D-Bus bindings) on first use
        from keyring.backends import fail
    except ImportError:
        return None, "the keyring package is not installed"
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None, ("no OS keyring is available (no Secret Service, KWallet, macOS Keychain "
                      "or Windows Credential Locker was found)")
    return backend, f"{type(backend).__module__}.{type(backend).__name__}"


class ConnectionStore:
    """Saved connections (a JSON file) with their secrets in a keyring."""

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 keyring_backend: KeyringBackend | None = None, *,
                 use_system_keyring: bool = True) -> None:
        self.path = Path(path) if path is not None else user_config_dir() / "connections.json"
        if keyring_backend is None and use_system_keyring:
            keyring_backend, self.keyring_status = system_keyring()
        else:
            self.keyring_status = ("injected backend" if keyring_backend is not None
                                   else "no keyring")
        self.keyring = keyring_backend

    # -- the list

    def list(self) -> list[Connection]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ModelReadError(f"cannot read the saved connections: {exc}", self.path) from None
        return [Connection.from_json(d) for d in doc.get("connections", [])
                if isinstance(d, dict) and "name" in d and "uri" in d]

    def get(self, name: str) -> Connection:
        for conn in self.list():
            if conn.name == name:
                return conn
        raise ModelReadError(f"no saved connection named {name!r}", self.path)

    def _write(self, connections: list[Connection]) -> None:
        data = json.dumps({"connections": [c.to_json() for c in connections]}, indent=2)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, data.encode("utf-8"), backup=False)

    def save(self, connection: Connection, secret: str | None = None) -> Connection:
        """Add or replace ``connection``; ``secret`` (password or token) goes to the keyring."""
        if connection.auth in ("basic", "token") and secret is not None:
            if self.keyring is None:
                variable = ENV_TOKEN if connection.auth == "token" else ENV_PASSWORD
                raise NoKeyringError(
                    f"cannot save the {'token' if connection.auth == 'token' else 'password'} "
                    f"of {connection.name!r}: {self.keyring_status}. mlmanager never writes "
                    f"secrets in plain text; set {variable} in the environment instead.")
            self.keyring.set_password(SERVICE, connection.name, secret)
        others = [c for c in self.list() if c.name != connection.name]
        self._write([*others, connection])
        return connection

    def rename(self, old: str, new: str) -> Connection:
        conn = self.get(old)
        secret = self.secret(conn)
        self.delete(old)
        return self.save(replace(conn, name=new), secret)

    def delete(self, name: str) -> None:
        remaining = [c for c in self.list() if c.name != name]
        self._write(remaining)
        if self.keyring is not None:
            # keyring raises PasswordDeleteError when there is no secret to delete
            with contextlib.suppress(Exception):
                self.keyring.delete_password(SERVICE, name)

    # -- logging in

    def secret(self, connection: Connection) -> str | None:
        if self.keyring is None or connection.auth not in ("basic", "token"):
            return None
        return self.keyring.get_password(SERVICE, connection.name)

    def auth_for(self, connection: Connection) -> ServerAuth:
        """How to log in: the keyring's secret; MLflow's environment variables when the
        connection says ``env`` or the keyring has nothing."""
        env = ServerAuth.from_env()
        tls = {"insecure_tls": connection.insecure_tls or env.insecure_tls,
               "server_cert_path": connection.server_cert_path or env.server_cert_path,
               "client_cert_path": env.client_cert_path}
        if connection.auth == "none":
            return ServerAuth(**tls)
        secret = self.secret(connection)
        if connection.auth == "token" and secret:
            return ServerAuth(token=secret, **tls)
        if connection.auth == "basic" and secret is not None:
            return ServerAuth(username=connection.username, password=secret, **tls)
        return replace(env, **tls)
