"""The two forms of the transfer commands: New Model from Estimator, and Copy to.

Both are plain ``QDialog`` forms shown through the prompter (``prompter.run_dialog``), whose
Browse buttons also ask the prompter, so tests fill them without a modal ``exec()``. Each one
validates as you type (the OK button is enabled only for a complete form) and hands back a
small spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import theme
from mlmanager.ui.widgets.common import muted_label

ESTIMATOR_FILTER = "Estimators (*.pkl *.pickle *.joblib *.skops);;All files (*)"
SAMPLE_FILTER = "Sample data (*.csv *.parquet *.json *.npy);;All files (*)"
FORMATS = (
    ("skops", "skops — MLflow's default; loads without running code"),
    ("cloudpickle", "cloudpickle — for estimators with custom code"),
    ("pickle", "pickle"),
)


def _path_row(edit: QLineEdit, browse: QPushButton) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    lay.addWidget(browse)
    return row


def _name_ok(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not any(c in name for c in "/\\\x00")


@dataclass(frozen=True)
class PackageSpec:
    estimator: Path
    sample: Path
    out_dir: Path
    format: str
    name: str


class PackageDialog(QDialog):
    """File ▸ New Model from Estimator…: estimator file, sample data, output folder, format, name."""

    def __init__(self, prompter: Any, start_dir: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompter = prompter
        self.start_dir = start_dir
        self.setWindowTitle("New Model from Estimator")
        self.setMinimumWidth(620)
        lay = QVBoxLayout(self)
        intro = QLabel("Make an MLflow model folder from a fitted scikit-learn estimator saved with "
                       "pickle, joblib or skops. A sample of the data it was trained on gives the "
                       "signature and the input example.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.estimator = QLineEdit()
        self.estimator.setPlaceholderText("model.pkl, model.joblib or model.skops")
        self.sample = QLineEdit()
        self.sample.setPlaceholderText("CSV, Parquet, JSON or .npy")
        self.out_dir = QLineEdit()
        self.out_dir.setPlaceholderText("the new model folder is created inside")
        self.format = QComboBox()
        for key, text in FORMATS:
            self.format.addItem(text, key)
        self.name = QLineEdit()
        self.name.setPlaceholderText("the estimator file's name")
        form.addRow("&Estimator file:", _path_row(self.estimator, self._browse_button(self._pick_estimator)))
        form.addRow("&Sample data:", _path_row(self.sample, self._browse_button(self._pick_sample)))
        form.addRow("&Output folder:", _path_row(self.out_dir, self._browse_button(self._pick_out)))
        form.addRow("&Format:", self.format)
        form.addRow("&Name:", self.name)
        lay.addLayout(form)
        self.target = muted_label()
        lay.addWidget(self.target)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {theme.current_colors().warning}")
        lay.addWidget(self.problem)
        note = muted_label("The estimator is loaded only in the prediction worker, under the same "
                           "safety rules as predictions. A file that contains code, or imports "
                           "outside the allowlist, asks for your trust first.")
        note.setWordWrap(True)
        lay.addWidget(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Create Model")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        for edit in (self.estimator, self.sample, self.out_dir, self.name):
            edit.textChanged.connect(self._validate)
        self._validate()

    def _browse_button(self, slot: Any) -> QPushButton:
        b = QPushButton("Browse…")
        b.clicked.connect(lambda _c=False: slot())
        return b

    def _start(self, edit: QLineEdit) -> str:
        text = edit.text().strip()
        return str(Path(text).parent) if text else self.start_dir

    def _pick_estimator(self) -> None:
        path = self.prompter.open_file(self, "Estimator file", self._start(self.estimator), ESTIMATOR_FILTER)
        if path:
            self.estimator.setText(path)

    def _pick_sample(self) -> None:
        path = self.prompter.open_file(self, "Sample data file", self._start(self.sample), SAMPLE_FILTER)
        if path:
            self.sample.setText(path)

    def _pick_out(self) -> None:
        path = self.prompter.open_folder(self, "Create the model inside…", self.out_dir.text() or self.start_dir)
        if path:
            self.out_dir.setText(path)

    def set_values(self, estimator: str | Path, sample: str | Path, out_dir: str | Path,
                   fmt: str = "skops", name: str = "") -> None:
        self.estimator.setText(str(estimator))
        self.sample.setText(str(sample))
        self.out_dir.setText(str(out_dir))
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self.name.setText(name)

    def _model_name(self) -> str:
        name = self.name.text().strip()
        if name:
            return name
        stem = Path(self.estimator.text().strip()).name
        for suffix in (".pkl", ".pickle", ".joblib", ".skops"):
            if stem.lower().endswith(suffix):
                return stem[: -len(suffix)] or "model"
        return stem or "model"

    def problems(self) -> list[str]:
        out = []
        est, sample, folder = (e.text().strip() for e in (self.estimator, self.sample, self.out_dir))
        if not est or not Path(est).is_file():
            out.append("Choose the estimator file." if not est else f"{est} is not a file.")
        if not sample or not Path(sample).is_file():
            out.append("Choose a sample data file." if not sample else f"{sample} is not a file.")
        if not folder:
            out.append("Choose the output folder.")
        name = self._model_name()
        if not _name_ok(name):
            out.append(f"“{name}” cannot be a folder name.")
        elif folder and (Path(folder) / name).exists():
            out.append(f"{Path(folder) / name} already exists: choose another name.")
        return out

    def _validate(self) -> None:
        problems = self.problems()
        self.ok_button.setEnabled(not problems)
        self.problem.setText(problems[0] if problems and any(
            e.text() for e in (self.estimator, self.sample, self.out_dir)) else "")
        folder = self.out_dir.text().strip()
        self.target.setText(f"Creates {Path(folder) / self._model_name()}" if folder else "")

    def spec(self) -> PackageSpec:
        return PackageSpec(Path(self.estimator.text().strip()), Path(self.sample.text().strip()),
                           Path(self.out_dir.text().strip()), self.format.currentData(), self._model_name())


@dataclass(frozen=True)
class CopySpec:
    dest: Path
    layout: str  # folder | tracking
    name: str
    experiment: str | None


class CopyDialog(QDialog):
    """Copy to…: a folder, or a run in a tracking folder (mlruns) under an experiment."""

    def __init__(self, prompter: Any, model_name: str, start_dir: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prompter = prompter
        self.start_dir = start_dir
        self.setWindowTitle(f"Copy {model_name} to…")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        self.to_folder = QRadioButton("Into a &folder (a plain copy of the model folder)")
        self.to_tracking = QRadioButton("Into a &tracking folder (mlruns), as a new run MLflow can load")
        self.to_folder.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.to_folder)
        group.addButton(self.to_tracking)
        lay.addWidget(self.to_folder)
        lay.addWidget(self.to_tracking)
        form = QFormLayout()
        self.dest = QLineEdit()
        self.dest.setPlaceholderText("destination folder")
        form.addRow("&Destination:", _path_row(self.dest, self._browse()))
        self.name = QLineEdit(model_name)
        form.addRow("&Name:", self.name)
        self.experiment = QLineEdit("Default")
        self.experiment_label = QLabel("&Experiment:")
        self.experiment_label.setBuddy(self.experiment)
        form.addRow(self.experiment_label, self.experiment)
        lay.addLayout(form)
        self.target = muted_label()
        self.target.setWordWrap(True)
        lay.addWidget(self.target)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Copy")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        for w in (self.dest, self.name, self.experiment):
            w.textChanged.connect(self._validate)
        self.to_tracking.toggled.connect(self._validate)
        self._validate()

    def _browse(self) -> QPushButton:
        b = QPushButton("Browse…")
        b.clicked.connect(lambda _c=False: self._pick())
        return b

    def _pick(self) -> None:
        path = self.prompter.open_folder(self, "Copy the model into…", self.dest.text() or self.start_dir)
        if path:
            self.dest.setText(path)

    def set_values(self, dest: str | Path, tracking: bool = False, name: str | None = None,
                   experiment: str | None = None) -> None:
        self.dest.setText(str(dest))
        (self.to_tracking if tracking else self.to_folder).setChecked(True)
        if name is not None:
            self.name.setText(name)
        if experiment is not None:
            self.experiment.setText(experiment)

    def _validate(self) -> None:
        tracking = self.to_tracking.isChecked()
        self.experiment.setEnabled(tracking)
        self.experiment_label.setEnabled(tracking)
        dest, name = self.dest.text().strip(), self.name.text().strip()
        ok = bool(dest) and _name_ok(name) and (not tracking or bool(self.experiment.text().strip()))
        self.ok_button.setEnabled(ok)
        if not dest:
            self.target.setText("")
        elif tracking:
            self.target.setText(f"Creates a run in experiment “{self.experiment.text().strip()}” of "
                                f"{dest}, with the model as its artifact “{name}”.")
        else:
            self.target.setText(f"Creates {Path(dest) / name}")

    def spec(self) -> CopySpec:
        tracking = self.to_tracking.isChecked()
        return CopySpec(Path(self.dest.text().strip()), "tracking" if tracking else "folder",
                        self.name.text().strip(),
                        self.experiment.text().strip() if tracking else None)
