"""`predict MODEL --input MODEL/input_example.json` in serving mode (issue 16, 5c).

A model's own input example is a bare pandas DataFrame document (split or records orient, or
``{"inputs": <split>, "params": ...}`` when saved with params), not a request body: the endpoint
refuses it, and the message says what the file is and the body an endpoint needs, each fix once.
The body the fix names is then accepted.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.cli import main

EXAMPLES = sorted(p.parent for p in MODELS.glob("**/input_example.json"))


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def _fix_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("fix:")]


def test_corpus_has_split_and_params_examples() -> None:
    docs = [json.loads((m / "input_example.json").read_text()) for m in EXAMPLES]
    assert any(isinstance(d, dict) and set(d) == {"columns", "data"} for d in docs)
    assert any(isinstance(d, dict) and "inputs" in d and "params" in d for d in docs)


@pytest.mark.parametrize("model", EXAMPLES, ids=[str(m.relative_to(MODELS)) for m in EXAMPLES])
def test_own_input_example_is_explained_and_the_named_body_is_accepted(capsys, tmp_path: Path,
                                                                        model: Path) -> None:
    example = model / "input_example.json"
    doc = json.loads(example.read_text())
    code, text = _run(capsys, "validate", str(model), "--input", str(example))
    assert "Traceback" not in text
    fixes = _fix_lines(text)
    assert all(n == 1 for n in Counter(fixes).values()), fixes  # each fix once

    if isinstance(doc, dict) and {"columns", "data"} <= set(doc) <= {"columns", "data", "index"}:
        body = {"dataframe_split": doc}
        assert code == 1
        assert fixes == ["fix: this file is a pandas DataFrame in 'split' orient (how MLflow saves "
                         "input_example.json), not a request body: an endpoint needs "
                         '{"dataframe_split": <this document>}']
    elif isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        body = {"dataframe_records": doc}
        assert code == 1 and "'records' orient" in fixes[0] and '{"dataframe_records": <this list>}' in fixes[0]
    elif isinstance(doc, dict) and isinstance(doc.get("inputs"), dict) and "data" in doc["inputs"]:
        body = {"dataframe_split": doc["inputs"], **({"params": doc["params"]} if "params" in doc else {})}
        assert code == 1 and len(fixes) == 1
        assert fixes[0].startswith('fix: "inputs" holds a pandas DataFrame in \'split\' orient')
        assert '{"dataframe_split": <the value of "inputs">' in fixes[0]
    elif isinstance(doc, list):
        body = {"inputs": doc}
        assert code == 1 and fixes == ['fix: {"inputs": <this list>}']
    else:
        pytest.fail(f"an input example form this test does not know: {str(doc)[:80]}")

    wrapped = tmp_path / "request.json"
    wrapped.write_text(json.dumps(body))
    code, text = _run(capsys, "validate", str(model), "--input", str(wrapped))
    assert code == 0, text


def test_predict_prints_the_explanation_once(capsys) -> None:
    model = MODELS / "iris_logreg_colspec"
    code, text = _run(capsys, "predict", str(model), "--input", str(model / "input_example.json"))
    assert code == 1
    assert _fix_lines(text) == ["fix: this file is a pandas DataFrame in 'split' orient (how MLflow "
                                "saves input_example.json), not a request body: an endpoint needs "
                                '{"dataframe_split": <this document>}']
