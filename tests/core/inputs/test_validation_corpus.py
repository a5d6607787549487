"""Our verdict on every input file of the shared corpus agrees with what MLflow 3.17.2 recorded.

``pandas_read_csv`` <-> mode python; ``scoring_server_csv``/``serving_json`` <-> mode serving.
MLflow rejected at parse, or at predict with a schema-enforcement MlflowException -> invalid;
MLflow accepted, or failed inside the model itself (ValueError...) -> valid (schema-wise).
For models the canonical reader could not load, its recorded ``schema_check`` is used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.core.inputs.validation import validate_file

METHOD_MODE = {"pandas_read_csv": "python", "scoring_server_csv": "serving", "serving_json": "serving"}


def _cases() -> list:
    if not MODELS.is_dir():
        return []
    out = []
    for expected in sorted(MODELS.glob("*.expected.json")):
        doc = json.loads(expected.read_text())
        if doc.get("kind") == "tracking" or not doc.get("model_dir"):
            continue
        reader = doc.get("canonical_reader", "3.17.2")
        for case in doc.get("cases") or []:
            for method, rec in case["results"].get(reader, {}).items():
                out.append(
                    pytest.param(doc["model_dir"], case, method, rec, id=f"{case['file']}-{method}")
                )
    return out


def _mlflow_says_valid(rec: dict) -> bool:
    if rec.get("stage") == "load":  # the reader could not load the model: use its schema check
        return bool(rec["schema_check"]["ok"])
    if rec.get("accepted"):
        return True
    if rec.get("stage") == "parse":
        return False
    # a predict-stage failure: schema enforcement (MlflowException) or the model's own error
    return rec.get("exception_class") != "MlflowException"


def _named(description: str) -> set[str]:
    return set(re.findall(r"(?:column|param) '([^']+)'", description))


@pytest.mark.parametrize("model_dir,case,method,rec", _cases())
def test_verdict_matches_mlflow(models_dir: Path, model_dir: str, case: dict, method: str, rec: dict) -> None:
    mode = METHOD_MODE[method]
    result = validate_file(models_dir / model_dir, models_dir / case["file"], mode)
    expected = _mlflow_says_valid(rec)
    assert result.valid == expected, (case["description"], rec.get("message_first_line"), result.to_json())
    assert result.mode == mode
    if not result.valid:
        named = _named(case["description"])
        if named:
            # an invalid case is rejected *because of* the named column; an edge case may be
            # rejected for another reason and the named column only warned about (extra column)
            pool = result.errors if case["kind"] == "invalid" else result.errors + result.warnings
            assert named & {str(p.column) for p in pool}, (named, result.to_json())
        for p in result.errors:
            assert p.message and p.kind and p.fix, p
    elif rec.get("parsed_dtypes") and "ndarray" not in rec["parsed_dtypes"]:
        assert result.parsed_dtypes == rec["parsed_dtypes"]


def test_corpus_is_covered(models_dir: Path) -> None:
    cases = _cases()
    assert len(cases) >= 150
    modes = {c.values[2] for c in cases}
    assert modes == set(METHOD_MODE)
