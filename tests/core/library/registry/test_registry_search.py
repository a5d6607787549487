"""MLflow's search grammar, evaluated locally."""

from __future__ import annotations

import pytest

from mlmanager.core.library.registry.entities import ModelVersion, RegisteredModel
from mlmanager.core.library.registry.search import (
    FilterError,
    model_matcher,
    parse_filter,
    version_matcher,
)

MODEL = RegisteredModel("churn-v2", tags={"team": "risk", "my tag": "x.y", "a.b": "1"})


@pytest.mark.parametrize("text, expected", [
    ("", True),
    ("name = 'churn-v2'", True),
    ('name = "churn-v2"', True),
    ("name != 'churn-v2'", False),
    ("name LIKE 'churn%'", True),
    ("name LIKE 'churn_v2'", True),
    ("name LIKE 'CHURN%'", False),
    ("name ILIKE 'CHURN%'", True),
    ("attributes.name = 'churn-v2'", True),
    ("tags.team = 'risk'", True),
    ("tag.team = 'risk'", True),
    ("tags.`my tag` = 'x.y'", True),
    ("tags.`a.b` = '1'", True),
    ("tags.team LIKE 'r%' and name like '%v2'", True),
    ("tags.team = 'risk' AND tags.missing = 'x'", False),
    ("tags.missing != 'x'", False),
    ("name = 'it''s'", False),
])
def test_model_filters(text: str, expected: bool):
    assert model_matcher(text)(MODEL) is expected


def test_version_filters():
    v = ModelVersion("m", "3", run_id="r1", source="models:/m-1", tags={"stage": "prod"})
    assert version_matcher("version_number = 3")(v)
    assert version_matcher("version_number > 2 AND version_number <= 3")(v)
    assert not version_matcher("version_number < 3")(v)
    assert version_matcher("name IN ('a', 'm')")(v)
    assert not version_matcher("name NOT IN ('a', 'm')")(v)
    assert version_matcher("run_id = 'r1' AND tags.stage = 'prod'")(v)
    assert version_matcher("source_path LIKE 'models:/%'")(v)


@pytest.mark.parametrize("text, message", [
    ("name = 'a' OR name = 'b'", "joined with AND"),
    ("colour = 'red'", "unknown key"),
    ("name = churn", "quotes"),
    ("name IN ('a')", "only supported"),
    ("name =", "ends where"),
    ("name", "ends where"),
    ("name < 'a'", "cannot compare"),
    ("name = 'unterminated", "cannot read"),
])
def test_bad_filters_say_why(text: str, message: str):
    with pytest.raises(FilterError, match=message):
        parse_filter(text)


def test_bad_version_filters():
    with pytest.raises(FilterError, match="whole number"):
        parse_filter("version_number = 'x'", versions=True)
    with pytest.raises(FilterError, match="not closed"):
        parse_filter("name IN ('a', 'b'", versions=True)
