"""What a model-view tab is: ``ModelPage`` (the base class) and ``PageContext`` (what a page may use).

Each tab lives in this package (``overview``, ``mlmodel``, ``artifacts``, ``environment``,
``signature/``, ``predict/``, ``deploy/``); ``tabs`` lists them; ``mlmanager.ui.model_view``
shows them as tabs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from mlmanager.ui.prompter import Prompter
    from mlmanager.ui.store import ModelEntry, ModelStore
    from mlmanager.ui.tasks import TaskManager


@dataclass
class PageContext:
    """What a page may use: background tasks, dialogs, the store, a status-bar hook, and
    ``open_model(path)``, which opens a model in the library and shows it (the main window's;
    None outside a window: pages then fall back to ``store.open``), ``registry``, the
    window's registry controller (publishing an opened registry version; None outside a
    window, and until the window first uses a registry: no such version is open before),
    and ``environments``, the model environments' builds the pages share
    (``ui.environments.builds.environment_builds`` makes it on first use)."""

    tasks: TaskManager
    prompter: Prompter
    store: ModelStore
    status: Callable[[str], None]
    open_model: Callable[[Any], Any] | None = None
    registry: Any = None
    environments: Any = None  # EnvironmentBuilds


class ModelPage(QWidget):
    """Base class of a model view tab. Subclasses implement ``show_entry``."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.entry: ModelEntry | None = None

    def show_entry(self, entry: ModelEntry | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def has_unsaved_changes(self) -> bool:
        return False
