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
class EnvSpec:
    """An environment: a Python minor version and packages, resolved as of a day, from wheels.

    Model recipes hold one; a test that only needs an interpreter with some old packages (no
    model) can build one directly with `author_env.ensure_env`.
    """

    name: str  # names the cache folder and every error message
    python: str  # major.minor, found under pyenv (any patch)
    packages: tuple[str, ...]  # as `uv pip install` arguments
    resolved_as_of: str | None = None  # YYYY-MM-DD for uv --exclude-newer; None: today's index
    wheels_only: bool = True  # uv --no-build; False: pure-Python sdists may build (old pins)

    def pinned(self, package: str) -> str | None:
        """The exact version pinned for `package` (`name==X`), if any."""
        for spec in self.packages:
            name, _, version = spec.partition("==")
            if version and name.strip().lower().replace("_", "-") == package:
                return version.strip()
        return None


@dataclass(frozen=True)
class Recipe:
    """One model, saved by a real old library stack in an environment built with uv."""

    env: EnvSpec  # the author's environment; every model recipe pins mlflow and sets the day
    script: str  # training script in author_scripts/
    flavor: str  # the flavor save_model writes besides python_function
    flavor_package: str | None = None  # the distribution the flavor records a version of
    flavor_version_key: str | None = None  # that version's field in the MLmodel flavor
    extra_files: tuple[str, ...] = ()  # other files under author_scripts/ the script uses
    summary: str = ""

    @property
    def name(self) -> str:
        return self.env.name

    @property
    def python(self) -> str:
        return self.env.python

    @property
    def resolved_as_of(self) -> str:
        """The author's day: uv resolves as of it; the MLmodel is back-dated to the day before."""
        if self.env.resolved_as_of is None:
            raise ValueError(f"recipe {self.name}: a model recipe needs resolved_as_of")
        return self.env.resolved_as_of

    @property
    def mlflow_version(self) -> str:
        """The pinned MLflow version (every model recipe pins one exactly)."""
        version = self.env.pinned("mlflow")
        if version is None:
            raise ValueError(f"recipe {self.name} does not pin mlflow")
        return version

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
    EnvSpec("sklearn13-py310", "3.10", ("mlflow==2.9.2", "scikit-learn==1.3.2"), "2024-01-15"),
    script="sklearn13_pipeline.py",
    flavor="sklearn",
    flavor_package="scikit-learn",
    flavor_version_key="sklearn_version",
    summary="scikit-learn 1.3.2 pipeline (SimpleImputer, OneHotEncoder, LogisticRegression); "
    "predicting it with scikit-learn >= 1.6 fails ('_fill_dtype')",
)

XGBOOST17_PY39 = Recipe(
    EnvSpec("xgboost17-py39", "3.9", ("mlflow==2.5.0", "xgboost==1.7.6", "scikit-learn==1.3.0"),
            "2023-08-01"),
    script="xgboost_regressor.py",
    flavor="xgboost",
    flavor_package="xgboost",
    flavor_version_key="xgb_version",
    summary="xgboost 1.7.6 XGBRegressor on the diabetes data (xgboost flavor, needs pkg_resources)",
)

LIGHTGBM41_PY311 = Recipe(
    EnvSpec("lightgbm41-py311", "3.11", ("mlflow==2.7.1", "lightgbm==4.1.0"), "2023-10-15"),
    script="lightgbm_classifier.py",
    flavor="lightgbm",
    flavor_package="lightgbm",
    flavor_version_key="lgb_version",
    summary="LightGBM 4.1 LGBMClassifier (lightgbm flavor; the app has no lightgbm)",
)

PYFUNC_CODE_PY313 = Recipe(
    EnvSpec("pyfunc-code-py313", "3.13", ("mlflow==2.19.0",), "2025-01-10"),
    script="custom_pyfunc.py",
    flavor="python_function",
    extra_files=("pyfunc_code/basket_rules.py",),
    summary="custom PythonModel whose class is in its own module shipped by code_paths, an "
    "artifact, a DataFrame output (numpy 2)",
)

ONNX_PY312 = Recipe(
    EnvSpec("onnx-py312", "3.12", ("mlflow==2.19.0", "onnx==1.17.0", "onnxruntime==1.20.1",
                                   "skl2onnx==1.18.0", "scikit-learn==1.6.0"), "2025-01-10"),
    script="onnx_regressor.py",
    flavor="onnx",
    flavor_package="onnx",
    flavor_version_key="onnx_version",
    summary="scikit-learn Ridge pipeline converted by skl2onnx (onnx flavor, onnxruntime)",
)

SKLEARN10_PY38 = Recipe(
    EnvSpec("sklearn10-py38", "3.8", ("mlflow==1.30.1", "scikit-learn==1.0.2"), "2023-04-15",
            wheels_only=False),
    script="sklearn10_cloudpickle.py",
    flavor="sklearn",
    flavor_package="scikit-learn",
    flavor_version_key="sklearn_version",
    summary="scikit-learn 1.0.2 pipeline with the author's own function, cloudpickled under "
    "Python 3.8 (MLflow 1.30): only Python 3.8 can unpickle it",
)

SKLEARN024_PY37 = Recipe(
    EnvSpec("sklearn024-py37", "3.7", ("mlflow==1.19.0", "scikit-learn==0.24.2"), "2021-08-15",
            wheels_only=False),
    script="sklearn024_iris.py",
    flavor="sklearn",
    flavor_package="scikit-learn",
    flavor_version_key="sklearn_version",
    summary="scikit-learn 0.24.2 random forest on iris, MLflow 1.19 under Python 3.7: no "
    "python_env.yaml, no mlflow_version in MLmodel, mlflow unpinned in the requirements",
)

# The recipes every consumer test iterates (`RECIPES.names`): each loads and predicts in the
# environment mlmanager builds for it, as MLflow did in the author's.
RECIPES = Catalogue((SKLEARN13_PY310, XGBOOST17_PY39, ONNX_PY312, LIGHTGBM41_PY311,
                     PYFUNC_CODE_PY313, SKLEARN10_PY38, SKLEARN024_PY37))

# A new recipe the product does not handle yet goes here first: built and checked by the
# factory's own tests, left out of the consumer tests; move it into RECIPES once it predicts in
# its own environment. Empty since all seven predict (lightgbm41-py311, pyfunc-code-py313,
# sklearn10-py38 and sklearn024-py37 were promoted once dated resolution fell forward for
# packages without a wheel and `--env PATH` stopped taking another venv for the app's Python).
STAGED_RECIPES = Catalogue(())

ALL_RECIPES = Catalogue(RECIPES.recipes + STAGED_RECIPES.recipes)
