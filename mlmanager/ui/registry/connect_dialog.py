"""File ▸ Connect to Tracking Server…: a server URI, how to log in, TLS, saved connections.

Saved connections keep their name, URI, login kind, username and TLS settings in the app's
connections file; a password or token goes only to the OS keyring
(:class:`mlmanager.core.remote.connections.ConnectionStore`). Without a keyring the dialog says so,
uses what is typed for this session only, and points to MLflow's environment variables.
``MLFLOW_TRACKING_URI`` is the default URI. "Test" asks the server in the background.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.remote.auth import (
    ENV_PASSWORD,
    ENV_TOKEN,
    ENV_URI,
    ENV_USERNAME,
    ServerAuth,
    default_server_uri,
)
from mlmanager.core.remote.connections import Connection, ConnectionStore
from mlmanager.core.remote.registry import ServerRegistry
from mlmanager.ui.tasks import TaskError, TaskManager, TaskState
from mlmanager.ui.widgets.common import muted_label

AUTH_CHOICES = (("none", "None"), ("basic", "Username and password"), ("token", "Token (bearer)"),
                ("env", "MLflow's environment variables"))
NEW = "New connection"


@dataclass(frozen=True)
class ConnectRequest:
    """What the dialog was filled with: where to connect and how to log in."""

    uri: str
    auth: ServerAuth
    connection: Connection
    save: bool
    secret: str | None  # typed now (None: the keyring's or the environment's)


def check_uri(text: str) -> str | None:
    """Why ``text`` is not a server URI (None when it is one)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https"):
        return "The server URI starts with http:// or https:// (e.g. http://mlflow.example.com:5000)."
    if not parts.hostname:
        return "The server URI needs a host name."
    try:
        _ = parts.port
    except ValueError:
        return "The port in the server URI is not a number."
    return None


def probe_server(state: TaskState, uri: str, auth: ServerAuth) -> str:
    """Runs in a worker thread: the server's version and whether its registry answers."""
    source = ServerRegistry(uri, auth, max_retries=1)
    try:
        version = source.rest.server_version(state.is_cancelled)
        docs, token = source.rest.search_registered_models(None, max_results=1,
                                                           cancel=state.is_cancelled)
    finally:
        source.close()
    what = f"MLflow {version}" if version else "an MLflow server"
    found = "registered models listed" if docs or token else "no registered models yet"
    return f"Connected: {what}, {found}."


class ConnectDialog(QDialog):
    """See the module docstring. ``request()`` after it was accepted."""

    def __init__(self, store: ConnectionStore, tasks: TaskManager | None = None,
                 uri: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to Tracking Server")
        self.setMinimumWidth(640)
        self.store = store
        self.tasks = tasks
        self._saved: dict[str, Connection] = {}
        self._probe = None

        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addWidget(QLabel("Saved connections"))
        self.saved = QListWidget()
        self.saved.setAccessibleName("Saved connections")
        self.saved.setMaximumWidth(200)
        left.addWidget(self.saved, 1)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Forget the selected connection (and its secret in the keyring)")
        self.delete_button.clicked.connect(self._delete_selected)
        left.addWidget(self.delete_button)
        outer.addLayout(left)

        right = QVBoxLayout()
        form = self._form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. team server")
        form.addRow("Name", self.name)
        self.uri = QLineEdit()
        self.uri.setPlaceholderText("http://mlflow.example.com:5000")
        self.uri.setAccessibleName("Server URI")
        form.addRow("Server URI", self.uri)
        env_uri = default_server_uri()
        self.uri_note = muted_label(f"Default from {ENV_URI}: {env_uri}" if env_uri else
                                    f"Tip: set {ENV_URI} to make a server the default.")
        form.addRow("", self.uri_note)
        self.auth = QComboBox()
        for key, text in AUTH_CHOICES:
            self.auth.addItem(text, key)
        self.auth.setAccessibleName("Authentication")
        form.addRow("Log in with", self.auth)
        self.username = QLineEdit()
        form.addRow("Username", self.username)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Password", self.password)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Token", self.token)
        self.env_note = muted_label(
            f"Uses {ENV_USERNAME} and {ENV_PASSWORD}, or {ENV_TOKEN}, from the environment (and "
            "~/.mlflow/credentials), exactly as MLflow's client does.")
        form.addRow("", self.env_note)
        self.insecure = QCheckBox("Skip TLS certificate verification (only on a network you trust)")
        form.addRow("TLS", self.insecure)
        self.cert_path = QLineEdit()
        self.cert_path.setPlaceholderText("CA bundle (.pem) for a private certificate authority")
        form.addRow("CA bundle", self.cert_path)
        right.addLayout(form)
        self.save = QCheckBox("Save this connection")
        self.save.setChecked(True)
        right.addWidget(self.save)
        self.keyring_note = muted_label()
        self.keyring_note.setObjectName("keyring-note")
        right.addWidget(self.keyring_note)
        test_row = QHBoxLayout()
        self.test_button = QPushButton("Test Connection")
        self.test_button.clicked.connect(self.test)
        self.test_button.setEnabled(tasks is not None)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        right.addLayout(test_row)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("form-error")
        self.error.hide()
        right.addWidget(self.error)
        right.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        right.addWidget(self.buttons)
        outer.addLayout(right, 1)

        self.auth.currentIndexChanged.connect(lambda _i: self._update())
        self.save.toggled.connect(lambda _on: self._update())
        self.saved.currentItemChanged.connect(lambda cur, _prev: self._pick(cur))
        self._fill_saved()
        if uri:
            self.uri.setText(uri)
            match = next((c for c in self._saved.values() if c.uri.rstrip("/") == uri.rstrip("/")),
                         None)
            if match is not None:
                self.select_saved(match.name)
        elif env_uri:
            self.uri.setText(env_uri)
        self._update()

    # -- saved connections

    def _fill_saved(self) -> None:
        self.saved.clear()
        try:
            connections = self.store.list()
        except Exception as exc:  # noqa: BLE001 - a broken file must not stop connecting
            connections = []
            self.error.setText(str(exc))
            self.error.show()
        self._saved = {c.name: c for c in connections}
        self.saved.addItem(QListWidgetItem(NEW))
        for conn in connections:
            item = QListWidgetItem(conn.name)
            item.setToolTip(conn.uri)
            self.saved.addItem(item)
        self.saved.setCurrentRow(0)

    def select_saved(self, name: str) -> bool:
        for row in range(self.saved.count()):
            if self.saved.item(row).text() == name:
                self.saved.setCurrentRow(row)
                return True
        return False

    def _pick(self, item: QListWidgetItem | None) -> None:
        conn = self._saved.get(item.text()) if item is not None else None
        self.delete_button.setEnabled(conn is not None)
        if conn is None:
            return
        self.name.setText(conn.name)
        self.uri.setText(conn.uri)
        self.auth.setCurrentIndex(max(0, self.auth.findData(conn.auth)))
        self.username.setText(conn.username or "")
        self.password.clear()
        self.token.clear()
        has_secret = self.store.secret(conn) is not None if conn.auth in ("basic", "token") else False
        hint = "saved in the keyring" if has_secret else ""
        self.password.setPlaceholderText(hint)
        self.token.setPlaceholderText(hint)
        self.insecure.setChecked(conn.insecure_tls)
        self.cert_path.setText(conn.server_cert_path or "")
        self._update()

    def _delete_selected(self) -> None:
        item = self.saved.currentItem()
        if item is not None and item.text() in self._saved:
            self.store.delete(item.text())
            self._fill_saved()

    def ask_login(self) -> None:
        """The server refused us (401): say so, and ask for a username and password unless a
        saved connection already logs in some way."""
        self.setWindowTitle("Log In to Tracking Server")
        self.error.setText("The server asks for a login: enter a username and password (or "
                           "choose a token), then Connect.")
        self.error.show()
        if self.auth_kind() in ("none", "env"):
            self.auth.setCurrentIndex(max(0, self.auth.findData("basic")))
        (self.username if not self.username.text() else self.password).setFocus()

    # -- the form

    def auth_kind(self) -> str:
        return str(self.auth.currentData())

    def _update(self) -> None:
        kind = self.auth_kind()
        form = self._form
        for widget, shown in ((self.username, kind == "basic"), (self.password, kind == "basic"),
                              (self.token, kind == "token"), (self.env_note, kind == "env")):
            widget.setVisible(shown)
            label = form.labelForField(widget)
            if label is not None:
                label.setVisible(shown)
        secret_kind = kind in ("basic", "token")
        if self.store.keyring is None:
            self.keyring_note.setText(
                f"No OS keyring is available ({self.store.keyring_status}). mlmanager never writes "
                "passwords or tokens to disk: a saved connection keeps its URI and username only, "
                f"and what you type is used for this session. To log in without typing, set "
                f"{ENV_USERNAME} and {ENV_PASSWORD} (or {ENV_TOKEN}) in the environment.")
            self.keyring_note.setVisible(secret_kind)
        else:
            self.keyring_note.setText("Passwords and tokens are saved in the OS keyring, never in "
                                      "mlmanager's settings files.")
            self.keyring_note.setVisible(secret_kind and self.save.isChecked())

    def secret(self) -> str | None:
        kind = self.auth_kind()
        text = self.password.text() if kind == "basic" else self.token.text() if kind == "token" else ""
        return text or None

    def connection(self) -> Connection:
        uri = self.uri.text().strip().rstrip("/")
        name = self.name.text().strip() or (urlsplit(uri).netloc or uri)
        return Connection(name=name, uri=uri, auth=self.auth_kind(),  # type: ignore[arg-type]
                          username=self.username.text().strip() or None,
                          insecure_tls=self.insecure.isChecked(),
                          server_cert_path=self.cert_path.text().strip() or None)

    def login(self) -> ServerAuth:
        """How to log in with what is in the form (typed secret, else keyring, else env)."""
        conn = self.connection()
        secret = self.secret()
        if secret is not None:
            tls = {"insecure_tls": conn.insecure_tls, "server_cert_path": conn.server_cert_path}
            if conn.auth == "token":
                return ServerAuth(token=secret, **tls)
            return ServerAuth(username=conn.username, password=secret, **tls)
        saved = self._saved.get(conn.name)
        if saved is not None and saved.auth == conn.auth and saved.uri == conn.uri:
            return self.store.auth_for(conn)  # the keyring's secret (else the environment's)
        if conn.auth == "none":
            return self.store.auth_for(conn)
        return self.store.auth_for(replace(conn, auth="env"))  # nothing typed nor saved

    def request(self) -> ConnectRequest:
        return ConnectRequest(uri=self.connection().uri, auth=self.login(),
                              connection=self.connection(), save=self.save.isChecked(),
                              secret=self.secret())

    def problem(self) -> str | None:
        problem = check_uri(self.uri.text())
        if problem is None and self.auth_kind() == "basic" and not self.username.text().strip():
            problem = "Enter the username (or choose another way to log in)."
        return problem

    def accept(self) -> None:
        problem = self.problem()
        if problem is not None:
            self.error.setText(problem)
            self.error.show()
            return
        self.error.hide()
        super().accept()

    # -- test

    def test(self) -> None:
        problem = self.problem()
        if problem is not None or self.tasks is None:
            self.test_result.setText(problem or "")
            return
        self.test_result.setText("Asking the server…")
        self.test_button.setEnabled(False)
        task = self.tasks.start(probe_server, self.connection().uri, self.login(), name="test server")
        self._probe = task

        def done(text: str) -> None:
            self.test_result.setText(text)
            self.test_button.setEnabled(True)

        def failed(err: TaskError) -> None:
            err.handled = True
            done(f"Not connected: {err}")

        task.succeeded.connect(done)
        task.failed.connect(failed)
