"""The catalogue of models the factory builds: who saved them, with what, and how.

A recipe is the model author's world: a Python minor version, the packages they had (pinned as
they would have been), the day those packages are resolved as of (`uv pip install
--exclude-newer`), and a training script in `author_scripts/` that saves the model with the
flavor's own `save_model` and writes the input to predict. Everything in a recipe (and the text of
its scripts) goes into the cache key: change any of it and the model is built anew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

AUTHOR_SCRIPTS = Path(__file__).resolve().parent / "author_scripts"
COMMON_SCRIPT = "author_common.py"  # helpers every training script imports
ORACLE_SCRIPT = "predict_oracle.py"  # loads and predicts with the environment's own MLflow


@dataclass(frozen=True)
class Recipe:
    """One model, saved by a real old library stack in an environment built with uv."""

    name: str
    python: str  # major.minor, found under pyenv (any patch)
    packages: tuple[str, ...]  # the author's pins, as `uv pip install` arguments
    resolved_as_of: str  # YYYY-MM-DD: uv --exclude-newer; the MLmodel is back-dated to the day before
    script: str  # training script in author_scripts/
    flavor: str  # the flavor save_model writes besides python_function
    flavor_version_key: str | None = None  # the flavor's version field in MLmodel, if it has one
    extra_files: tuple[str, ...] = ()  # other files under author_scripts/ the script uses
    wheels_only: bool = True  # uv --no-build: never compile while building a test model
    summary: str = ""

    @property
    def mlflow_version(self) -> str:
        """The pinned MLflow version (every recipe pins one exactly)."""
        for spec in self.packages:
            if spec.startswith("mlflow=="):
                return spec.split("==", 1)[1]
        raise ValueError(f"recipe {self.name} does not pin mlflow")

    @property
    def script_files(self) -> tuple[str, ...]:
        """Every author_scripts/ file the build reads (all are part of the cache key)."""
        return (self.script, COMMON_SCRIPT, ORACLE_SCRIPT, *self.extra_files)


@dataclass(frozen=True)
class Catalogue:
    recipes: tuple[Recipe, ...] = field(default_factory=tuple)

    def __getitem__(self, name: str) -> Recipe:
        for recipe in self.recipes:
            if recipe.name == name:
                return recipe
        raise KeyError(f"no recipe named {name!r}; known: {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(recipe.name for recipe in self.recipes)


SKLEARN13_PY310 = Recipe(
    name="sklearn13-py310",
    python="3.10",
    packages=("mlflow==2.9.2", "scikit-learn==1.3.2"),
    resolved_as_of="2024-01-15",
    script="sklearn13_pipeline.py",
    flavor="sklearn",
    flavor_version_key="sklearn_version",
    summary="scikit-learn 1.3.2 pipeline (SimpleImputer, OneHotEncoder, LogisticRegression); "
    "predicting it with scikit-learn >= 1.6 fails ('_fill_dtype')",
)

RECIPES = Catalogue((SKLEARN13_PY310,))
