"""Benign models load without a prompt and predict like in-process (T8, T9, T10) and like
MLflow on the shared corpus."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import worker_builders as wb

from mlmanager.core.safety import CONTAINS_CODE, SAFE_LISTED, UNTRUSTED_IMPORTS
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker.errors import ModelLoadError


def _benign_models():
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X, y = wb.xy(80)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    rf = RandomForestClassifier(n_estimators=4, random_state=0).fit(X, y)
    hgb = HistGradientBoostingClassifier(max_iter=5).fit(X, y)
    pipe = Pipeline([
        ("ct", ColumnTransformer([("abs", FunctionTransformer(np.abs), ["a", "b"]),
                                  ("sc", StandardScaler(), ["c"])])),
        ("lr", LogisticRegression()),
    ]).fit(frame, y)
    return {
        "rf-pickle": (pickle.dumps(rf, protocol=4), "pickle", rf, X),
        "rf-cloudpickle": (cloudpickle.dumps(rf), "cloudpickle", rf, X),
        "rf-protocol5": (pickle.dumps(rf, protocol=5), "pickle", rf, X),
        "hgb": (pickle.dumps(hgb, protocol=4), "pickle", hgb, X),
        "np-abs-pipeline": (cloudpickle.dumps(pipe), "cloudpickle", pipe, frame),
    }


BENIGN = _benign_models()


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_t9_benign_models_are_safe_listed_and_predict(
    shared_client: WorkerClient, tmp_path: Path, name: str
) -> None:
    data, fmt, model, X = BENIGN[name]
    folder = wb.write_model(tmp_path / name, data, fmt=fmt)
    info = shared_client.load(folder)
    assert info.classification == SAFE_LISTED and not info.trusted
    assert info.warnings == ()
    result = shared_client.predict(X)
    np.testing.assert_array_equal(result.predictions, model.predict(X))
    assert result.warnings == ()
    assert result.seconds > 0


def test_predict_fn_is_honoured(shared_client: WorkerClient, tmp_path: Path) -> None:
    data, _fmt, model, X = BENIGN["rf-pickle"]
    folder = wb.write_model(tmp_path / "proba", data, predict_fn="predict_proba")
    shared_client.load(folder)
    np.testing.assert_allclose(shared_client.predict(X).predictions, model.predict_proba(X))


def test_t8_skops_random_forest_loads_without_a_prompt(shared_client: WorkerClient, tmp_path: Path) -> None:
    data, _fmt, model, X = BENIGN["rf-pickle"]
    folder = wb.write_model(tmp_path / "skops", wb.skops_bytes(pickle.loads(data)),
                            filename="model.skops", fmt="skops",
                            skops_trusted_types=["sklearn.tree._tree.Tree"])
    info = shared_client.load(folder)
    assert info.classification == SAFE_LISTED and info.report.format == "skops"
    assert any(w.kind == "skops_trusted_types" for w in info.warnings)
    np.testing.assert_array_equal(shared_client.predict(X).predictions, model.predict(X))


def test_t10_version_skew_warnings(shared_client: WorkerClient, tmp_path: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier

    if len(wb.SKLEARN_VERSION) != 5:
        pytest.skip("the patch needs a 5-character scikit-learn version string")
    X, y = wb.xy()
    rf = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    data = wb.patch_version(pickle.dumps(rf, protocol=4), wb.SKLEARN_VERSION, "1.0.2")
    folder = wb.write_model(tmp_path / "old", data, sklearn_version="1.0.2")
    info = shared_client.load(folder)
    skew = [w for w in info.warnings if w.kind == "version_skew"]
    assert len(skew) == 1 and "1.0.2" in skew[0].message and wb.SKLEARN_VERSION in skew[0].message
    result = shared_client.predict(X)
    np.testing.assert_array_equal(result.predictions, rf.predict(X))
    inconsistent = [w for w in result.warnings if w.kind == "inconsistent_version"]
    assert sorted(w.estimator for w in inconsistent) == ["DecisionTreeClassifier", "RandomForestClassifier"]
    assert all(w.original_version == "1.0.2" for w in inconsistent)
    assert any(w.kind == "version_skew" for w in result.warnings)


# ------------------------------------------------------------------ the shared corpus

_CASTS = {"long": "int64", "integer": "int32", "double": "float64", "float": "float32",
          "boolean": "bool", "string": object}


def _corpus_cases(root: Path) -> list[tuple[str, Path, Path, list, dict]]:
    cases = []
    for expected_path in sorted(root.glob("*.expected.json")):
        doc = json.loads(expected_path.read_text())
        if not doc.get("model_dir") or not doc.get("predictions"):
            continue
        if "sklearn" not in (doc.get("flavor_names") or []):
            continue
        name = expected_path.name[: -len(".expected.json")]
        csv = root / f"{name}.input.csv"
        found = False
        for case in doc.get("cases", []):
            if case["kind"] != "valid" or not case["file"].endswith(".csv"):
                continue
            results = case["results"].get("3.17.2", {})
            accepted = [r for r in (results.get("scoring_server_csv"), results.get("pandas_read_csv"))
                        if r and r.get("accepted")]
            if accepted:
                outcome = accepted[0]
                cases.append((name, root / doc["model_dir"], root / case["file"],
                              outcome["predictions"], doc))
                found = True
                break
        if not found and csv.exists():
            # MLflow's own CSV parsing failed (datetimes) or the writer's sklearn is gone:
            # compare with the headline predictions (same rows, from the JSON input).
            cases.append((name, root / doc["model_dir"], csv, doc["predictions"]["predictions"], doc))
    return cases


def _read_input(csv: Path, doc: dict) -> object:
    frame = pd.read_csv(csv)
    sig = (doc.get("signature_parsed") or {}).get("inputs")
    if not sig:
        return frame
    if sig[0].get("type") == "tensor":
        return frame.to_numpy(dtype=sig[0]["tensor-spec"]["dtype"])
    names = [col["name"] for col in sig if col.get("name") in frame.columns]
    frame = frame[names]
    for col in sig:
        if col.get("name") not in frame.columns:
            continue
        if col["type"] == "datetime":
            frame[col["name"]] = pd.to_datetime(frame[col["name"]]).astype("datetime64[ns]")
        elif col["type"] in _CASTS and not frame[col["name"]].isna().any():
            frame[col["name"]] = frame[col["name"]].astype(_CASTS[col["type"]])
    return frame


def _same(got: object, want: object) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12)
    return got == want


def test_corpus_predictions_match_mlflow(shared_client: WorkerClient, models_dir: Path, copy_model) -> None:
    cases = _corpus_cases(models_dir)
    assert len(cases) >= 10
    checked = []
    for name, model_dir, csv, expected, doc in cases:
        folder = copy_model(model_dir, name)
        report = shared_client.scan(folder)
        if (doc.get("load_error") or {}).get("3.17.2"):
            # written by an older scikit-learn whose module paths are gone (v2_loans_gbc)
            assert report.classification == UNTRUSTED_IMPORTS
            with pytest.raises(ModelLoadError, match="_loss"):
                shared_client.load(folder, {report.sha256})
            continue
        trusted = {report.sha256} if report.classification == CONTAINS_CODE else set()
        info = shared_client.load(folder, trusted)
        result = shared_client.predict(_read_input(csv, doc))
        got = np.asarray(result.predictions).tolist()
        assert len(got) == len(expected), name
        assert all(_same(g, w) for g, w in zip(got, expected)), (name, got, expected)
        checked.append((name, info.classification))
    classes = dict(checked)
    assert classes["housing_rf_regressor"] == SAFE_LISTED
    assert classes["iris_logreg_colspec"] == SAFE_LISTED  # skops
    assert classes["optional_cols_imputer"] == SAFE_LISTED  # skops with Tree + numpy.dtype
    assert classes["events_datetime_pipeline"] == CONTAINS_CODE  # a __main__ function
    assert len(checked) >= 10


def test_input_and_model_errors_are_typed(shared_client: WorkerClient, tmp_path: Path) -> None:
    from mlmanager.core.errors import InvalidError
    from mlmanager.worker.errors import PredictionError

    data, _fmt, model, X = BENIGN["rf-pickle"]
    shared_client.load(wb.write_model(tmp_path / "rf", data))
    with pytest.raises(InvalidError, match="cannot send this input"):
        shared_client.predict(pd.DataFrame({"a": [object()]}))
    with pytest.raises(PredictionError, match="features"):
        shared_client.predict(np.zeros((2, 7)))
    np.testing.assert_array_equal(shared_client.predict(X).predictions, model.predict(X))
