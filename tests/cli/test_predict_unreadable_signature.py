"""`predict` on a model whose signature cannot be read refuses as `validate` does (issue 16, 5a).

MLflow cannot load such an MLmodel at all; predicting as if the model had no schema (and exiting
0) hid that. `--ignore-signature` is the explicit way to predict anyway.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlmanager.cli import main

MODEL = "iris_logreg_colspec"
FIRST_COLUMN = '{"type": "double", "name": "sepal length (cm)", "required": true}'


def _break_signature(mlmodel: Path, how: str) -> None:
    """An unknown column type, or malformed JSON, in ``signature.inputs``."""
    text = mlmodel.read_text()
    inputs = re.search(r"^  inputs: '.*?'\n(?=  \w)", text, re.S | re.M)
    assert inputs is not None
    if how == "decimal128":
        flat = " ".join(inputs.group(0).split())
        assert FIRST_COLUMN in flat
        new = "  inputs: " + flat.split(" ", 1)[1].replace('"type": "double"', '"type": "decimal128"', 1) + "\n"
    else:
        new = "  inputs: '[{\"type\": \"double\", \"name\": '\n"
    mlmodel.write_text(text.replace(inputs.group(0), new))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("how", ["decimal128", "malformed_json"])
def test_predict_refuses_an_unreadable_signature_like_validate(capsys, copy_model, models_dir: Path,
                                                               how: str) -> None:
    model = copy_model(models_dir / MODEL)
    _break_signature(model / "MLmodel", how)
    data = str(models_dir / f"{MODEL}.input.csv")

    v_code, _, v_err = _run(capsys, "validate", str(model), "--input", data)
    assert v_code == 2 and "the signature cannot be read" in v_err
    if how == "decimal128":
        assert "decimal128" in v_err

    code, out, err = _run(capsys, "predict", str(model), "--input", data)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == v_err.splitlines()[0]  # the same message as validate
    assert "--ignore-signature" in err and "no input schema" not in err and "Traceback" not in err

    code, out, err = _run(capsys, "predict", str(model), "--input", data, "--json")
    assert code == 2 and out == ""


def test_predict_ignore_signature_predicts_and_says_so(capsys, copy_model, models_dir: Path) -> None:
    model = copy_model(models_dir / MODEL)
    _break_signature(model / "MLmodel", "decimal128")
    data = str(models_dir / f"{MODEL}.input.csv")
    code, out, err = _run(capsys, "predict", str(model), "--input", data, "--ignore-signature", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["predictions"] == [0, 1, 2, 2, 0]
    assert any("signature is ignored" in w and "decimal128" in w for w in got["warnings"])
    assert not any("no input schema" in w for w in got["warnings"])
