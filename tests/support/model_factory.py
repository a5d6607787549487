"""Real MLflow models saved by real old library versions, with MLflow's own predictions for them.

For each recipe (`model_recipes.py`) the factory builds the author's environment with uv, runs
the recipe's training script there (the flavor's own `save_model` writes the folder), then loads
the saved folder with that environment's `mlflow.pyfunc.load_model` and records its predictions
on the recipe's input: the oracle a test compares mlmanager's predictions with.

Cache entry (`<cache>/models/<recipe>-<key>/`, key = hash of the recipe, the interpreter and the
script texts): `model/` (the MLflow folder, `utc_time_created` back-dated to the recipe's day so a
"resolve as of the day it was saved" strategy sees the author's era), `input.json` (a
`dataframe_split` document), `oracle.json`, `build.json` (recipe, versions, `uv pip freeze`,
timings) and `build.log`. A second run reuses it at once. Prebuild everything (CI does, before
pytest) with::

    PYTHONPATH=tests python -m support.model_factory --build-all
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from .author_env import (
    BuiltEnv,
    RecipeBuildError,
    ensure_env,
    env_folder,
    env_key,
    find_interpreter,
    find_uv,
    run_step,
)
from .build_cache import build_once, cache_root, content_key, folder_size, remove_entry
from .model_recipes import ALL_RECIPES, AUTHOR_SCRIPTS, ORACLE_SCRIPT, RECIPES, Recipe

FORMAT_VERSION = 1  # bump when the entry layout or the oracle's document changes
TRAIN_TIMEOUT_S = 10 * 60
KEEP_ENVS_VAR = "MLMANAGER_TEST_KEEP_ENVS"  # "0": delete an author env once its model is saved

__all__ = ["ALL_RECIPES", "RECIPES", "BuiltModel", "RecipeBuildError", "build_model"]


@dataclass(frozen=True)
class BuiltModel:
    """A built cache entry. Treat every path as read-only: copy the model before changing it."""

    recipe: Recipe
    folder: Path
    cache: Path

    @property
    def model_dir(self) -> Path:
        return self.folder / "model"

    @property
    def input_path(self) -> Path:
        """The rows to predict: `{"dataframe_split": {"columns": [...], "data": [...]}}`."""
        return self.folder / "input.json"

    @property
    def oracle_path(self) -> Path:
        return self.folder / "oracle.json"

    @cached_property
    def oracle(self) -> dict[str, Any]:
        """oracle.json: `output` (typed predictions), python/mlflow/numpy/pandas versions."""
        return json.loads(self.oracle_path.read_text())

    @cached_property
    def build_info(self) -> dict[str, Any]:
        """build.json: the recipe, interpreter, `uv pip freeze` of the author env, timings."""
        return json.loads((self.folder / "build.json").read_text())

    @property
    def python_version(self) -> str:
        """The full version of the interpreter that saved the model."""
        return self.build_info["python_version"]

    def env_python(self) -> Path:
        """The author environment's interpreter (rebuilt from uv's cache if it was deleted)."""
        return ensure_env(self.recipe.env, self.cache).python

    def copy_model(self, dest: Path) -> Path:
        """A writable copy of the model folder at `dest`."""
        shutil.copytree(self.model_dir, dest)
        return dest


def model_key(recipe: Recipe, interpreter: Path) -> str:
    scripts = {name: (AUTHOR_SCRIPTS / name).read_text() for name in recipe.script_files}
    return content_key({
        "kind": "model",
        "format": FORMAT_VERSION,
        "env": env_key(recipe.env, interpreter),
        "recipe": {**asdict(recipe), "summary": None},  # prose only: not part of what is built
        "scripts": scripts,
    })


def model_folder(recipe: Recipe, cache: Path) -> Path:
    return cache / "models" / f"{recipe.name}-{model_key(recipe, find_interpreter(recipe.python))}"


def build_model(recipe: Recipe | str, cache: Path | None = None) -> BuiltModel:
    """The recipe's built model, from the cache or built now (blocking; safe across processes).

    Raises RecipeBuildError (naming the recipe, the failed step and its output) on failure.
    """
    recipe = ALL_RECIPES[recipe] if isinstance(recipe, str) else recipe
    cache = cache or cache_root()
    final = model_folder(recipe, cache)
    log = cache / "logs" / f"{final.name}.log"  # outside the entry: kept when a build fails
    built = build_once(final, lambda temp: _build_entry(recipe, cache, temp, log))
    if built and os.environ.get(KEEP_ENVS_VAR) == "0":
        remove_entry(env_folder(recipe.env, cache, find_interpreter(recipe.python)))
    return BuiltModel(recipe, final, cache)


def prune(cache: Path) -> list[Path]:
    """Remove the cache entries (models, author envs, logs) of catalogue recipes that were built
    from an older version of the recipe. Folders of other owners are never touched."""
    keep: set[str] = set()
    for recipe in ALL_RECIPES.recipes:
        keep.add(model_folder(recipe, cache).name)
        keep.add(env_folder(recipe.env, cache, find_interpreter(recipe.python)).name)
    ours = re.compile(rf"(?:{'|'.join(map(re.escape, ALL_RECIPES.names))})-[0-9a-f]{{16}}")
    removed: list[Path] = []
    for kind in ("models", "envs"):
        folder = cache / kind
        for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
            if entry.is_dir() and ours.fullmatch(entry.name) and entry.name not in keep:
                remove_entry(entry)
                removed.append(entry)
    for log in sorted((cache / "logs").glob("*.log")):
        if ours.fullmatch(log.stem) and log.stem not in keep:
            log.unlink()
    return removed


def _build_entry(recipe: Recipe, cache: Path, temp: Path, log: Path) -> None:
    started = time.monotonic()
    env = ensure_env(recipe.env, cache)
    env_ready = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    work = temp / "work"
    work.mkdir()
    for name in recipe.script_files:
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(AUTHOR_SCRIPTS / name, target)
    model_dir, input_path = temp / "model", temp / "input.json"
    run_step(recipe.name, "training and saving the model",
             [str(env.python), recipe.script, str(model_dir), str(input_path)],
             log, cwd=work, timeout=TRAIN_TIMEOUT_S)
    saved = time.monotonic()
    _check_saved(recipe, model_dir, input_path)
    saved_at = _backdate(model_dir / "MLmodel", recipe.resolved_as_of)
    # -I: the oracle sees only the model folder (its code_paths), not the training scripts
    run_step(recipe.name, "predicting with MLflow in the author environment",
             [str(env.python), "-I", str(work / ORACLE_SCRIPT), str(model_dir), str(input_path),
              str(temp / "oracle.json")], log, cwd=temp, timeout=TRAIN_TIMEOUT_S)
    predicted = time.monotonic()
    shutil.rmtree(work)
    shutil.copy2(log, temp / "build.log")
    info = {
        "recipe": asdict(recipe),
        "python_version": json.loads((temp / "oracle.json").read_text())["python_version"],
        "interpreter": str(find_interpreter(recipe.python)),
        "utc_time_created": saved_at,
        "packages": _freeze(env),
        "seconds": {
            "environment": round(env_ready - started, 1),
            "train_and_save": round(saved - env_ready, 1),
            "oracle": round(predicted - saved, 1),
        },
    }
    (temp / "build.json").write_text(json.dumps(info, indent=1))


def _check_saved(recipe: Recipe, model_dir: Path, input_path: Path) -> None:
    missing = [p.name for p in (model_dir / "MLmodel", input_path) if not p.is_file()]
    if missing:
        raise RecipeBuildError(
            f"recipe {recipe.name!r}: the training script {recipe.script} exited without "
            f"writing {', '.join(missing)}"
        )


def _backdate(mlmodel: Path, day: str) -> str:
    """Set `utc_time_created` to noon of the day before `day` (the author's era); return it."""
    stamp = f"{date.fromisoformat(day) - timedelta(days=1)} 12:00:00.000000"
    text = mlmodel.read_text()
    text, count = re.subn(r"(?m)^utc_time_created: .*$", f"utc_time_created: '{stamp}'", text)
    if count != 1:
        raise RecipeBuildError(f"{mlmodel}: no utc_time_created line to back-date")
    mlmodel.write_text(text)
    return stamp


def _freeze(env: BuiltEnv) -> list[str]:
    done = subprocess.run(
        [str(find_uv()), "pip", "freeze", "--python", str(env.python)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return done.stdout.split()


# ---------------------------------------------------------------------------------------------
# Command line: prebuild (CI does this once before pytest), list, show the cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m support.model_factory",
        description="Build the test models (real old MLflow/library versions) into the cache.",
    )
    parser.add_argument("recipes", nargs="*", help="recipe names (default with --build-all: all)")
    parser.add_argument("--build-all", action="store_true", help="build every recipe")
    parser.add_argument("--list", action="store_true", help="list the recipes and their state")
    parser.add_argument("--prune", action="store_true",
                        help="remove entries built from older versions of the recipes")
    parser.add_argument("--cache", type=Path, help="cache folder (default: $MLMANAGER_TEST_CACHE "
                        "or ~/.cache/mlmanager-tests)")
    args = parser.parse_args(argv)
    cache = args.cache or cache_root()
    if args.prune:
        for entry in prune(cache):
            print(f"removed {entry}")
        if not (args.recipes or args.build_all or args.list):
            return 0
    names = list(ALL_RECIPES.names) if (args.build_all or args.list) and not args.recipes else args.recipes
    if not names:
        parser.error("name recipes to build, or --build-all, --list or --prune")
    if args.list:
        for name in names:
            recipe = ALL_RECIPES[name]
            state = "built" if model_folder(recipe, cache).is_dir() else "not built"
            print(f"{name:<22} Python {recipe.python:<5} {recipe.flavor:<8} {state:<10} "
                  f"{recipe.summary}")
        return 0
    failures = 0
    started = time.monotonic()
    for name in names:
        one_started = time.monotonic()
        try:
            built = build_model(name, cache)
        except RecipeBuildError as exc:
            failures += 1
            print(f"FAILED {exc}", file=sys.stderr, flush=True)
            continue
        print(f"{name:<22} {time.monotonic() - one_started:6.1f} s  {built.folder}", flush=True)
    models = cache / "models"
    size = folder_size(models) if models.is_dir() else 0  # the envs: hard links into uv's cache
    print(f"{len(names) - failures}/{len(names)} recipes ready in "
          f"{time.monotonic() - started:.1f} s; models in {models}: {size / 1e6:.1f} MB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
