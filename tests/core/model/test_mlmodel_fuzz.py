"""Fuzz: random and mutated MLmodel bytes either load or raise an MlmanagerError, quickly."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from corpus_paths import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.model.artifacts import doc_artifacts
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.model.yamlio import load_yaml_text

SEEDS = sorted(
    {p.read_bytes() for p in (CORPUS / "mlflow-models-wild").glob("*/MLmodel")}
    | {p.read_bytes() for p in (CORPUS / "mlflow-models").glob("*/MLmodel")}
    | {b"flavors:\n  python_function:\n    loader_module: x\n"}
)
TOKENS = [
    b"&a ", b"*a", b"!!python/object/apply:os.system ['echo']", b"{", b"}", b"[", b"]", b": ",
    b"- ", b"\t", b"'", b'"', b"\x00", b"\xff\xfe", b"\r\n", b"\n  ", b"3.10", b"null", b"'[]'",
    b'\'[{"type": "tensor"}]\'', b'\'[{"name": 1, "type": "string", "required": "x"}]\'',
    b"signature:\n  inputs: '[{\"type\": \"double\"}]'\n", b"flavors: 1\n", b"---\n", b"%YAML 1.1\n",
    b"? ", b"|\n", b">-\n", b"~", b"0x1F", b"2020-01-01",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "token", "splice"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            i = min(pos, len(data) - 1)
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            data[pos : pos + draw(st.integers(1, 40))] = b""
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        else:
            other = draw(st.sampled_from(SEEDS))
            start = draw(st.integers(0, len(other)))
            data[pos:] = other[start:]
    return bytes(data)


def _exercise(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "MLmodel").write_bytes(raw)
        try:
            doc = load_model(folder)
        except MlmanagerError:
            return
        with doc:
            assert isinstance(doc.problems, list)
            _ = (doc.flavor_names, doc.python_version, doc.model_file, doc.sklearn_serialization_format)
            doc_artifacts(doc)
            try:
                removed = doc.with_signature(None)
            except MlmanagerError:
                removed = None
            if removed is not None:
                assert "signature" not in load_yaml_text(removed)
            for dialect in ("keep", "current"):
                try:
                    text = doc.with_signature(doc.signature, dialect)
                except MlmanagerError:
                    continue
                assert isinstance(load_yaml_text(text), dict)
            if doc.signature is not None:
                json.dumps(doc.signature.to_canonical(), default=str)


FUZZ = settings(
    max_examples=200, deadline=500, suppress_health_check=[HealthCheck.too_slow], database=None
)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(raw: bytes) -> None:
    _exercise(raw)


@FUZZ
@given(mutated())
def test_mutated_mlmodel(raw: bytes) -> None:
    _exercise(raw)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!'\" \n\t#|>?,.0123")), max_size=400))
def test_yaml_shaped_text(text: str) -> None:
    _exercise(text.encode())
