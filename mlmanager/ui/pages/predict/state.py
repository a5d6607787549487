"""What the Predict tab keeps: the processes behind it and one state per model (its preferences
are in ``mlmanager.ui.settings``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlmanager.predict.input_helper import CheckOutcome, InputHelper, OpenedInput
from mlmanager.ui.pages.predict.run_controller import RunFailure, RunOutcome, WorkerPool

if TYPE_CHECKING:
    from mlmanager.core.safety import SafetyReport

Opener = Callable[..., OpenedInput]  # (helper, check: CheckArgs | None = None) -> OpenedInput

SEMANTICS = (
    ("serving", "As the deployed endpoint sees it",
     "What a deployed MLflow endpoint (/invocations) does with this input: CSV is read with the "
     "signature's types and JSON columns are cast to them, then the schema is checked."),
    ("python", "As Python predict() sees it",
     "What pyfunc_model.predict(df) does with the DataFrame pandas reads from this file: pandas "
     "guesses the types and nothing is cast (int64 into a double column fails)."),
)
MODE_NOTES = {
    "serving": "as a deployed endpoint sees it (CSV/JSON values are cast to the signature's types first)",
    "python": "as Python predict() sees it (pandas guesses the column types; nothing is cast)",
}


@dataclass
class PredictServices:
    """The processes behind the tab: warm prediction workers and the input helper."""

    pool: WorkerPool
    input_helper: InputHelper
    owned: bool = True  # closed with the page

    @classmethod
    def create(cls) -> PredictServices:
        return cls(WorkerPool(), InputHelper())

    def close(self) -> None:
        self.pool.close_all()
        self.input_helper.close()


@dataclass
class ModelState:
    """What the tab holds for one model (restored when the user comes back to it)."""

    key: str
    generation: int = -1
    opened: OpenedInput | None = None
    reopen: Opener | None = None  # rebuilds ``opened`` after the helper restarted
    original: OpenedInput | None = None  # before data fixes
    original_reopen: Opener | None = None
    check: CheckOutcome | None = None
    outcome: RunOutcome | None = None
    report: SafetyReport | None = None
    scanning: bool = False
    scan_failure: RunFailure | None = None
    env_lines: list[str] | None = None
    params: dict[str, Any] | None = None
    message: tuple[str, str, str, str] | None = None  # level, title, text, details
    ignore_signature: bool = False  # the user chose to predict without an unreadable signature
    where: str | None = None  # where the user chose to run it (None: the default)
    where_default: Any = None  # predict.where.WhereDefault, once read


