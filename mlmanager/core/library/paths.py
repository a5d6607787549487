"""What a path the user hands us is: a model, a tracking folder, or neither (and why). No Qt.

Used by the command line, File ▸ Open, recent files and drag-and-drop alike. Decisions are
quick and bounded: a folder without its own ``MLmodel`` is walked for at most
``PROBE_ENTRIES`` entries to see whether models live deeper (then it is a tracking folder);
when the budget runs out first it is treated as a tracking folder and the background scan
says what it finds.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from mlmanager.core.errors import MlmanagerError, MLmodelNotFoundError
from mlmanager.core.model.files import ZipFiles

MLMODEL = "MLmodel"
PROBE_ENTRIES = 5000
PROBE_DEPTH = 8
TRACKING_MARKERS = ("mlflow.db", "mlruns", "mlartifacts")

MODEL = "model"
TRACKING = "tracking"
REJECT = "reject"


@dataclass(frozen=True)
class PathVerdict:
    path: Path  # what to open: a model folder, a zip, or a tracking folder
    kind: str  # model | tracking | reject
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.kind != REJECT


def model_key(path: str | os.PathLike[str]) -> str:
    """One key per model whatever path reached it: the real path of its folder or zip."""
    p = Path(path)
    if p.name == MLMODEL and not p.is_dir():
        p = p.parent
    return os.path.normcase(os.path.realpath(p))


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _probe_for_models(root: Path) -> str | None:
    """'found' when a model or tracking marker lies below, 'budget' if we gave up, else None."""
    seen = 0
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > PROBE_ENTRIES:
                return "budget"
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if name == MLMODEL and not is_dir:
                return "found"
            if name == "mlflow.db" and depth == 0:
                return "found"
            if is_dir and depth + 1 < PROBE_DEPTH and name not in (".git", "node_modules", "__pycache__"):
                stack.append((Path(entry.path), depth + 1))
    return None


def classify_path(path: str | os.PathLike[str]) -> PathVerdict:
    """Decide what ``path`` is, without reading more than a few thousand directory entries."""
    p = Path(os.path.expanduser(os.fspath(path)))
    shown = p.name or str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return PathVerdict(p, REJECT, f"{p} does not exist")
    except OSError as exc:
        return PathVerdict(p, REJECT, f"{p} cannot be read: {exc.strerror}")
    if stat.S_ISDIR(st.st_mode):
        if _is_file(p / MLMODEL) or os.path.islink(p / MLMODEL):
            return PathVerdict(p, MODEL)
        probe = _probe_for_models(p)
        if probe is not None:
            return PathVerdict(p, TRACKING)
        return PathVerdict(
            p,
            REJECT,
            f"The folder “{shown}” holds no MLflow model: there is no MLmodel file in it or in "
            "its subfolders.",
        )
    if not stat.S_ISREG(st.st_mode):
        return PathVerdict(p, REJECT, f"“{shown}” is not a regular file or folder.")
    if p.name == MLMODEL:
        return PathVerdict(p.parent, MODEL)
    if p.name == "mlflow.db":
        return PathVerdict(p.parent, TRACKING)
    if p.suffix.lower() == ".zip":
        return _classify_zip(p)
    return PathVerdict(
        p,
        REJECT,
        f"“{shown}” is not an MLflow model. Open a model folder, its MLmodel file, a .zip of "
        "a model, or a tracking folder (mlruns).",
    )


def _classify_zip(p: Path) -> PathVerdict:
    try:
        ZipFiles(p).close()
    except MLmodelNotFoundError as exc:
        return PathVerdict(p, REJECT, f"“{p.name}” is not an MLflow model: {exc.message}")
    except MlmanagerError:
        pass  # a damaged model zip opens as a broken model that explains itself
    return PathVerdict(p, MODEL)


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as the app shows it: under the home folder as ``~/...`` (tooltips keep it whole)."""
    text = os.fspath(path)
    home = os.path.expanduser("~").rstrip(os.sep)
    if home and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text
