"""Ask before installing: what the model's environment would hold, and where it comes from.

Installing packages runs their code (build hooks, import-time code once the model loads), so
the first build of an environment shows the resolved package list (``builder.preview``: a
wheels-only resolution, nothing installed) and waits for the user's yes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons
from mlmanager.ui.widgets.common import muted_label

if TYPE_CHECKING:
    from mlmanager.core.environments.plan import BuildPlan
    from mlmanager.core.environments.resolution import Resolution


def resolution_items(res: Resolution) -> list[str]:
    """The lines the dialog lists: build dependencies, then the packages (or, when the
    installer cannot resolve ahead, the requirement lines)."""
    build = res.build_packages or res.build_dependencies
    items = [f"{p}   (build dependency)" for p in build]
    return items + list(res.packages or res.requirements)


class BuildConfirmDialog(QDialog):
    """"Build the model's environment?" with the packages listed; Build / Cancel."""

    def __init__(self, plan: BuildPlan, res: Resolution, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("build-confirm")
        self.setWindowTitle("Build the model's environment?")
        self.setMinimumWidth(560)
        self.packages = resolution_items(res)
        lay = QVBoxLayout(self)
        attempt = res.attempt
        when = f", as of {res.exclude_newer[:10]}" if res.exclude_newer else ""
        count = len(res.packages) or len(res.requirements)
        head = QLabel(
            f"<b>Install {count} package{'s' if count != 1 else ''} into a new environment on "
            f"Python {attempt.interpreter.version}?</b>")
        head.setWordWrap(True)
        lay.addWidget(head)
        why = QLabel(
            "Installing a model's requirements downloads packages from the package index and "
            "runs their code on this computer. Build only for models you trust to name their "
            "packages honestly.")
        why.setWordWrap(True)
        lay.addWidget(why)
        facts = [f"Python: {plan.choice.reason}",
                 f"Resolution: {attempt.recipe.label}{when}; wheels only"
                 + ("" if attempt.builds == "none" else ", source builds allowed"),
                 f"Into: {plan.cache.root}"]
        if plan.choice.warning:
            facts.insert(1, f"Warning: {plan.choice.warning}")
        for text in facts:
            label = muted_label(text)
            label.setWordWrap(True)
            lay.addWidget(label)
        self.list = QListWidget()
        self.list.setAccessibleName("Packages to install")
        for item in self.packages:
            self.list.addItem(item)
        self.list.setMinimumHeight(min(320, 24 + 20 * max(len(self.packages), 3)))
        lay.addWidget(self.list, 1)
        for note in res.notes + plan.notes:
            label = muted_label(f"Note: {note}")
            label.setWordWrap(True)
            lay.addWidget(label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.build_button = buttons.addButton("Build", QDialogButtonBox.ButtonRole.AcceptRole)
        self.build_button.setIcon(icons.icon("package"))
        self.build_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
