"""pytest plugin (registered in tests/conftest.py): the model factory's fixtures and marker.

    def test_predicts_like_mlflow(built_model):
        model = built_model("sklearn13-py310")   # a BuiltModel, built on first use, then cached
        model.model_dir, model.input_path, model.oracle["output"], model.env_python()

Tests that use a factory fixture are marked `built_models` automatically, so
`pytest -m "not built_models"` leaves them out. A recipe that fails to build is a test error
naming the recipe and uv's output, never a skip.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .build_cache import cache_root
from .model_factory import BuiltModel, RecipeBuildError, build_model

BUILT_MODELS_MARK = "built_models"
FACTORY_FIXTURES = frozenset({"built_model"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{BUILT_MODELS_MARK}: uses models saved by old library versions "
        "(tests/support/model_factory.py; slow only while the cache is cold)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FACTORY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(BUILT_MODELS_MARK)


@pytest.fixture(scope="session")
def built_model() -> Callable[[str], BuiltModel]:
    """`built_model(recipe_name) -> BuiltModel` (see support.model_recipes.RECIPES.names)."""
    cache = cache_root()
    built: dict[str, BuiltModel] = {}
    failed: dict[str, str] = {}

    def get(name: str) -> BuiltModel:
        if name in failed:  # fail every user of a broken recipe without rebuilding it each time
            pytest.fail(failed[name], pytrace=False)
        if name not in built:
            try:
                built[name] = build_model(name, cache)
            except RecipeBuildError as exc:
                failed[name] = str(exc)
                pytest.fail(failed[name], pytrace=False)
        return built[name]

    return get
