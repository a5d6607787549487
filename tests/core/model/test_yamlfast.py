"""The fast YAML subset reader must agree with yamlio whenever it answers (differential tests)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmanager.core.errors import YamlError
from mlmanager.core.model import yamlio
from mlmanager.core.model.yamlfast import load_yaml_fast, parse_simple_yaml


def _same(a: object, b: object) -> bool:
    """Equality that also checks types (1 != True here) and treats NaN as equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b  # type: ignore[arg-type]
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    return a == b


def _check(text: str) -> object:
    """Assert the contract; return the fast result (None when it declined)."""
    fast = parse_simple_yaml(text)
    if fast is not None:
        ref = yamlio.load_yaml_text(text)  # must not raise when the fast path answered
        assert _same(fast, ref), (text, fast, ref)
    return fast


def _yaml_files(*roots: Path) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        if root.is_dir():
            out += [
                p
                for p in sorted(root.rglob("*"))
                if p.is_file() and (p.name == "MLmodel" or p.suffix in (".yaml", ".yml"))
            ]
    return out


def test_agrees_on_every_real_file(models_dir: Path, wild_models: Path) -> None:
    files = _yaml_files(models_dir, wild_models)
    assert len(files) > 80
    answered = 0
    for path in files:
        data = path.read_bytes()
        try:
            ref = yamlio.load_yaml_bytes(data, path)
        except YamlError as exc:
            with pytest.raises(YamlError) as got:
                load_yaml_fast(data, path)
            assert got.value.message == exc.message
            continue
        assert _same(load_yaml_fast(data, path), ref), path
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            continue
        answered += _check(text) is not None
    # every MLflow-written MLmodel and meta.yaml takes the fast path
    assert answered >= 0.75 * len(files)


MLMODEL_317 = """\
artifact_path: file:///tmp/mlruns/1/models/m-12fbf2f28b674054b3b5b0dc8778a191/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.7
  sklearn:
    code: null
    serialization_format: cloudpickle
is_signature_from_type_hint: false
model_size_bytes: 1141
prompts: null
signature:
  inputs: '[{"type": "double", "name": "sqft", "required": true}, {"type": "long",
    "name": "bedrooms", "required": true}, {"type": "long", "name": "it''s",

    "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
utc_time_created: '2026-11-27 01:55:35.059347'
"""


def test_mlflow_style_document() -> None:
    got = _check(MLMODEL_317)
    assert got is not None
    assert list(got["flavors"]) == ["python_function", "sklearn"]
    assert got["signature"]["inputs"].endswith("\"it's\",\n\"required\": true}]")
    assert got["model_size_bytes"] == 1141 and got["prompts"] is None


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: 1.5\nc: true\nd: ~\ne: 0x1F\nf: 1_000\ng: .inf\nh: 1:30\ni: 3.17.2\n",
        "a: 'x''y'\nb: \"q\"\nc: []\nd: {}\ne: ''\nf:\n",
        "a:\n- x\n- 'y'\nb:\n  - 1\n  - 2\nc: z\n",
        "a:\n  b:\n  - x\n  c: 1\nd: 2",
        "a: -1\nb: -x\nc: file:///a:b/c\nd: a b  \ne: (x)\nf: ^x;\n",
        "a: '\n  b\n\n\n  c  '\n",
        "k.x-y: 1\n_u: 2\n",
    ],
)
def test_answers_and_agrees(text: str) -> None:
    assert _check(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a: 1\na: 2\n",  # duplicate key: yamlio raises
        "a: &x 1\nb: *x\n",  # anchors
        "a: !!str 1\n",  # tags
        "a: 2024-01-01\n",  # timestamp
        "a: 2024-13-45\n",  # invalid timestamp
        "a: =\n",  # the 'value' tag
        "<<: x\n",
        "a: 1 # comment\n",
        "# comment\na: 1\n",
        "a: |\n  x\n",
        "a: [1, 2]\n",
        "a: {b: 1}\n",
        "a: b: c\n",
        "a: x\n  y\n",  # a plain continuation
        "a:\n  x\n",
        "a:\n    b: 1\n  c: 2\n",
        "a: 1\r\nb: 2\r\n",
        "a:\tb\n",
        "a: caf\u00e9\n",
        "- a\n- b\n",
        "  a: 1\n",
        "yes: 1\n",
        "null: 1\n",
        "a:\n- b: 1\n",
        "a:\n- - x\n",
        "a:\n-\n",
        "a: 'open\n",
        "a: 'x' y\n",
        'a: "x\\ty"\n',
        "---\na: 1\n",
        "a: 1\n...\n",
        "a: - x\n",
        "a: -:\n",  # a mapping indicator after the dash: invalid YAML
        "a:b\n",
    ],
)
def test_declines_what_it_does_not_know(text: str) -> None:
    assert parse_simple_yaml(text) is None


def test_load_yaml_fast_keeps_yamlio_errors() -> None:
    with pytest.raises(YamlError) as got:
        load_yaml_fast(b"a: 1\na: 2\n", "meta.yaml")
    assert "duplicate key" in got.value.message
    with pytest.raises(YamlError) as got:
        load_yaml_fast(b"a: 1\n" * 10, "meta.yaml", max_bytes=20)
    assert "limit" in got.value.message
    assert load_yaml_fast(b"a: caf\xc3\xa9\n") == {"a": "caf\u00e9"}  # via yamlio
    with pytest.raises(YamlError, match="invalid YAML value: month must be in 1..12"):
        load_yaml_fast(b"a: 2024-13-45\n", "MLmodel")  # yamlio itself lets a ValueError out


# -- generated documents: lines drawn from fragments chosen to hit YAML's corner cases

_KEYS = ["a", "b", "name", "x.y", "k-1", "_p", "yes", "Null", "on", "n", "y", "True", "e1", "~"]
_VALUES = [
    "1", "01", "09", "0x1F", "0o17", "0b11", "1_000", "+1", "-1", "1.5", ".5", "1.", "1e3",
    "1.0e+3", ".inf", "-.Inf", ".nan", "1:30", "190:20:30.15", "true", "Yes", "off", "NO",
    "null", "~", "Null", "''", "'a''b'", "'a", "b'", "'''", "' x '", '"q"', '"a\\tb"', '""',
    "[]", "{}", "[a]", "{a: 1}", "2024-01-01", "2024-13-45", "2001-12-14t21:59:43.10-05:00",
    "=", "<<", "&a x", "*a", "!!str x", "|", ">", "a: b", "a:b", "a #c", "a#b", "- x", "-x",
    "-", "%x", "@x", "`x", "?", "? x", ":", ":x", ",", "x,y", "http://h:80/p", "a b", "(x)",
    "$x", "^x", ";x", "<x", "\\x", "3.17.2", "file:///a/b", "m-0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef", "a  b", "x ", "' a", "b '",
]


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        ind = " " * draw(st.sampled_from([0, 0, 0, 1, 2, 2, 4]))
        key = draw(st.sampled_from(_KEYS))
        val = draw(st.sampled_from(_VALUES))
        form = draw(st.integers(0, 9))
        lines.append(
            [
                f"{ind}{key}: {val}",
                f"{ind}{key}: {val}",
                f"{ind}{key}:",
                f"{ind}- {val}",
                f"{ind}{val}",
                "",
                f"{ind}{key}:  {val}  ",
                f"{ind}{key}: '{val}",
                f"{ind}{val}'",
                f"{ind}-",
            ][form]
        )
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_generated_documents_agree(text: str) -> None:
    _check(text)


# -- generated documents, take two: yaml.safe_dump output of random data, then mutated a little

_SCALARS = [
    1, 0, -5, 1.5, True, False, None, "", "x", "a b", "it's", "yes", "1.0", "3.17.2", "a: b",
    "#x", "- y", "  lead", "trail ", "long " * 30, "q'q" * 10, '"dq"', "2024-01-01", "~",
    "x\ny", "x\n\ny", "[1]", "{a}", "0x10", "1_0", ":", "-", "a:b", "m-" + "a" * 32,
]
_data = st.recursive(
    st.sampled_from(_SCALARS),
    lambda inner: st.dictionaries(st.sampled_from(_KEYS + ["flavors", "run_id"]), inner, max_size=4)
    | st.lists(inner, max_size=3),
    max_leaves=12,
)


@st.composite
def _dumped(draw: st.DrawFn) -> str:
    import yaml

    doc = draw(st.dictionaries(st.sampled_from(_KEYS + ["k"]), _data, min_size=1, max_size=5))
    text = yaml.safe_dump(
        doc,
        default_flow_style=draw(st.sampled_from([False, False, None])),
        indent=draw(st.sampled_from([2, 4])),
        width=draw(st.sampled_from([80, 20, 10])),
        sort_keys=draw(st.booleans()),
    )
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.integers(0, 4))
        if op == 0:
            lines.insert(i, lines[i])
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines[i] = " " + lines[i]
        elif op == 3:
            lines[i] = lines[i][1:]
        else:
            lines[i] += draw(st.sampled_from([" ", "'", ":", " #"]))
    return "\n".join(lines)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dumped())
def test_dumped_and_mutated_documents_agree(text: str) -> None:
    _check(text)


_SCALAR_CHARS = "0123456789._-+:eExabfnotrulYNO~ ,'\"#[]{}&*!|>%@`?=<\\/()"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=_SCALAR_CHARS, min_size=1, max_size=8))
def test_generated_scalars_agree(value: str) -> None:
    _check(f"a: {value}\nb:\n- {value}\n")
