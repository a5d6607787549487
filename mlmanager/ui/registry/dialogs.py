"""The forms of registry writes: alias, tag, description, and publishing a model folder as a new
version (which names the server, the model and the files: it is the confirmation). Each is run
through the prompter (``run_dialog``), so tests fill and accept them without a modal loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.library.registry.entities import RegisteredModel
from mlmanager.ui.registry import REGISTER_VERSION_TITLE
from mlmanager.ui.widgets.common import muted_label

_ALIAS = re.compile(r"^[A-Za-z0-9_\-]{1,255}$")
_RESERVED = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)


def alias_problem(alias: str) -> str | None:
    """Why MLflow would refuse ``alias`` (None: it is fine)."""
    if not alias:
        return "Enter an alias (letters, digits, _ and -)."
    if not _ALIAS.match(alias):
        return "An alias holds letters, digits, _ and - only."
    if _RESERVED.match(alias):
        return f"“{alias}” is reserved by MLflow (latest and v<number> name versions)."
    return None


class _Form(QDialog):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.lay = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.lay.addLayout(self.form)
        self.note = muted_label()
        self.lay.addWidget(self.note)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        self.lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.lay.addWidget(self.buttons)

    def problem(self) -> str | None:
        return None

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        super().accept()


class AliasDialog(_Form):
    """Set (or move) an alias: ``@champion`` on version 3 moves to version 4 in one write."""

    def __init__(self, model: RegisteredModel, version: str | None = None, alias: str = "",
                 server: str = "", parent: QWidget | None = None) -> None:
        super().__init__(f"Set an alias of {model.name}", parent)
        self.model = model
        self.alias = QComboBox()
        self.alias.setEditable(True)
        self.alias.setAccessibleName("Alias")
        self.alias.addItems(sorted(model.aliases))
        self.alias.setCurrentText(alias or (sorted(model.aliases)[0] if model.aliases else "champion"))
        self.form.addRow("Alias", self.alias)
        self.version = QComboBox()
        self.version.setAccessibleName("Version")
        for v in reversed(model.versions):
            self.version.addItem(v.title, v.version)
        if version is not None:
            self.version.setCurrentIndex(max(0, self.version.findData(version)))
        self.form.addRow("Version", self.version)
        self.server = server
        self.alias.currentTextChanged.connect(lambda _t: self._explain())
        self.version.currentIndexChanged.connect(lambda _i: self._explain())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Set Alias")
        self._explain()

    def values(self) -> tuple[str, str]:
        return self.alias.currentText().strip().lstrip("@"), str(self.version.currentData())

    def _explain(self) -> None:
        alias, version = self.values()
        now = self.model.aliases.get(alias)
        where = f" on {self.server}" if self.server else ""
        if now is None:
            self.note.setText(f"@{alias} is new: it will point to version {version}{where}.")
        elif now == version:
            self.note.setText(f"@{alias} already points to version {version}.")
        else:
            self.note.setText(f"@{alias} points to version {now} now; it moves to version "
                              f"{version}{where} (one write: code loading models:/"
                              f"{self.model.name}@{alias} gets version {version}).")

    def problem(self) -> str | None:
        return alias_problem(self.values()[0])


class TagDialog(_Form):
    def __init__(self, title: str, key: str = "", value: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.key = QLineEdit(key)
        self.key.setAccessibleName("Tag key")
        self.value = QLineEdit(value)
        self.value.setAccessibleName("Tag value")
        self.form.addRow("Key", self.key)
        self.form.addRow("Value", self.value)
        if key:
            self.value.setFocus()

    def values(self) -> tuple[str, str]:
        return self.key.text().strip(), self.value.text()

    def problem(self) -> str | None:
        key = self.values()[0]
        if not key:
            return "Enter the tag's key."
        if len(key) > 250:
            return "A tag key is at most 250 characters."
        return None


class DescriptionDialog(_Form):
    def __init__(self, title: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.text = QPlainTextEdit(text)
        self.text.setAccessibleName("Description")
        self.text.setTabChangesFocus(True)
        self.form.addRow(self.text)
        self.note.setText("MLflow shows descriptions as Markdown.")

    def value(self) -> str:
        return self.text.toPlainText().strip()


@dataclass(frozen=True)
class PublishRequest:
    name: str
    description: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()  # set on the new version (moved from where they are)


def parse_tags(text: str) -> tuple[dict[str, str], str | None]:
    """``key=value`` per line (or comma-separated) -> tags, or the problem."""
    tags: dict[str, str] = {}
    for part in re.split(r"[\n,]", text):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            return {}, f"Write tags as key=value (not {part!r})."
        tags[key.strip()] = value.strip()
    return tags, None


class PublishDialog(_Form):
    """Register a model folder as a new version: the server, the model and the files named."""

    def __init__(self, *, server: str, folder: str, files: str, names: list[str],
                 name: str = "", current: RegisteredModel | None = None,
                 move_aliases: tuple[str, ...] = (), lock_name: bool = False,
                 description: str = "", title: str = REGISTER_VERSION_TITLE,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.server, self.folder, self.files = server, folder, files
        self.current = current
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setAccessibleName("Registered model")
        self.name.addItems(names)
        self.name.setCurrentText(name)
        self.name.setEnabled(not lock_name)
        self.form.addRow("Registered model", self.name)
        self.description = QLineEdit(description)
        self.description.setPlaceholderText("What changed in this version (optional)")
        self.form.addRow("Description", self.description)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("key=value, key=value (optional)")
        self.form.addRow("Version tags", self.tags)
        self.alias_boxes: dict[str, QCheckBox] = {}
        aliases = dict(current.aliases) if current is not None else {}
        for alias in sorted(set(aliases) | set(move_aliases)):
            box = QCheckBox(f"Move @{alias} to the new version" + (
                f" (now on version {aliases[alias]})" if alias in aliases else ""))
            box.setChecked(alias in move_aliases)
            self.alias_boxes[alias] = box
            self.form.addRow("" if len(self.alias_boxes) > 1 else "Aliases", box)
        self.new_alias = QLineEdit()
        self.new_alias.setPlaceholderText("another alias to set on it (optional)")
        self.form.addRow("" if self.alias_boxes else "Aliases", self.new_alias)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(title)
        self.name.currentTextChanged.connect(lambda _t: self._explain())
        self._explain()

    def _explain(self) -> None:
        name = self.name.currentText().strip() or "…"
        nxt = ""
        if self.current is not None and self.current.name == name and self.current.versions:
            nxt = f" (version {max(v.number for v in self.current.versions) + 1}, probably)"
        self.note.setText(f"Uploads {self.files} from {self.folder} to {self.server} and registers "
                          f"them as a new version of “{name}”{nxt}. Nothing else on the server "
                          "changes; the local files stay as they are.")

    def request(self) -> PublishRequest:
        tags, _problem = parse_tags(self.tags.text())
        aliases = [a for a, box in self.alias_boxes.items() if box.isChecked()]
        extra = self.new_alias.text().strip().lstrip("@")
        if extra and extra not in aliases:
            aliases.append(extra)
        return PublishRequest(name=self.name.currentText().strip(),
                              description=self.description.text().strip() or None,
                              tags=tags, aliases=tuple(aliases))

    def problem(self) -> str | None:
        if not self.name.currentText().strip():
            return "Enter the registered model's name (a new name creates it)."
        _tags, problem = parse_tags(self.tags.text())
        if problem:
            return problem
        extra = self.new_alias.text().strip().lstrip("@")
        return alias_problem(extra) if extra else None
