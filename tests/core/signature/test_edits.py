"""Edit operations for the signature editor: every edit, inverses, conversions and diffs."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmanager.core.signature.edits import (
    UNSET,
    AddColumn,
    AddParam,
    Compound,
    DuplicateColumn,
    EditError,
    MoveColumn,
    MoveParam,
    RemoveColumn,
    RemoveParam,
    ReplaceColumn,
    ReplaceSection,
    ReplaceSignature,
    SetColumnName,
    SetColumnType,
    SetParam,
    SetRequired,
    SetTensorDtype,
    SetTensorShape,
    SetTypes,
    apply_edits,
    convert_schema_kind,
    diff_signatures,
    dtype_to_type,
    unique_name,
)
from mlmanager.core.signature.schema import (
    AnyType,
    ArrayType,
    ColSpec,
    MapType,
    ObjectType,
    ParamSchema,
    ParamSpec,
    Property,
    ScalarType,
    Schema,
    Signature,
    SourceStyle,
    TensorSpec,
)

D, L, S = ScalarType("double"), ScalarType("long"), ScalarType("string")


def base() -> Signature:
    return Signature(
        inputs=Schema((ColSpec(D, "a"), ColSpec(L, "b"), ColSpec(S, "c", False))),
        outputs=Schema((TensorSpec("float64", (-1,)),)),
        params=ParamSchema((ParamSpec("k", L, 1), ParamSpec("t", D, 0.5))),
        style=SourceStyle(dialect="none", name_first=True),
    )


def roundtrip(sig, edit):
    new, inv = edit.apply_with_inverse(sig)
    back = inv.apply(new)
    assert back == sig
    if sig is not None:
        assert back.style == sig.style
    return new


# ---------------------------------------------------------------------------------------------
# Each edit


def test_set_column_type_name_required():
    sig = base()
    new = roundtrip(sig, SetColumnType("inputs", 1, D))
    assert new.inputs.specs[1] == ColSpec(D, "b")
    assert new.style == sig.style  # the file's dialect info survives edits
    new = roundtrip(sig, SetColumnName("inputs", 0, "alpha"))
    assert new.inputs.specs[0].name == "alpha"
    new = roundtrip(sig, SetColumnName("outputs", 0, "y"))
    assert new.outputs.specs[0] == TensorSpec("float64", (-1,), "y")
    new = roundtrip(sig, SetRequired("inputs", 2, True))
    assert new.inputs.specs[2].required is True
    composite = Signature(inputs=Schema((ColSpec(ArrayType(L), "x", None),)))
    new = roundtrip(composite, SetRequired("inputs", 0, False))
    assert SetRequired("inputs", 0, False).inverse(composite) == SetRequired("inputs", 0, None)


def test_set_types_many_rows():
    sig = base()
    new = roundtrip(sig, SetTypes("inputs", (0, 2), L))
    assert [s.type for s in new.inputs.specs] == [L, L, L]
    assert new.inputs.specs[2].required is False  # only the type changes
    roundtrip(sig, SetTypes("inputs", (1, 1), S))


def test_add_remove_move_duplicate_replace():
    sig = base()
    new = roundtrip(sig, AddColumn("inputs", 1, ColSpec(ScalarType("boolean"), "z")))
    assert [s.name for s in new.inputs.specs] == ["a", "z", "b", "c"]
    new = roundtrip(sig, AddColumn("inputs", None, ColSpec(D, "z")))
    assert new.inputs.specs[-1].name == "z"
    new = roundtrip(sig, RemoveColumn("inputs", 0))
    assert [s.name for s in new.inputs.specs] == ["b", "c"]
    new = roundtrip(sig, MoveColumn("inputs", 0, 2))
    assert [s.name for s in new.inputs.specs] == ["b", "c", "a"]
    new = roundtrip(sig, MoveColumn("inputs", 2, 0))
    assert [s.name for s in new.inputs.specs] == ["c", "a", "b"]
    new = roundtrip(sig, DuplicateColumn("inputs", 0))
    assert [s.name for s in new.inputs.specs] == ["a", "a_copy", "b", "c"]
    new2 = roundtrip(new, DuplicateColumn("inputs", 0))
    assert [s.name for s in new2.inputs.specs][:3] == ["a", "a_copy2", "a_copy"]
    new = roundtrip(sig, ReplaceColumn("inputs", 0, ColSpec(MapType(D), "m", False)))
    assert new.inputs.specs[0] == ColSpec(MapType(D), "m", False)


def test_add_column_creates_missing_section_and_inverse_removes_it():
    sig = Signature(inputs=Schema((ColSpec(D, "a"),)))
    new = roundtrip(sig, AddColumn("outputs", None, ColSpec(L)))
    assert new.outputs == Schema((ColSpec(L),))
    assert AddColumn("outputs", None, ColSpec(L)).inverse(sig) == ReplaceSection("outputs", None)


def test_removing_the_last_row_leaves_an_empty_invalid_section():
    sig = Signature(inputs=Schema((ColSpec(D, "a"),)))
    new = roundtrip(sig, RemoveColumn("inputs", 0))
    assert new.inputs == Schema(())
    assert any(i.fatal for i in new.validate())


def test_tensor_edits():
    sig = base()
    new = roundtrip(sig, SetTensorDtype("outputs", 0, "float32"))
    assert new.outputs.specs[0].dtype == "float32"
    new = roundtrip(sig, SetTensorShape("outputs", 0, [-1, 3]))
    assert new.outputs.specs[0].shape == (-1, 3)
    with pytest.raises(EditError, match="tensor"):
        SetColumnType("outputs", 0, D).apply(sig)
    with pytest.raises(EditError, match="column"):
        SetTensorDtype("inputs", 0, "float32").apply(sig)


def test_param_edits():
    sig = base()
    new = roundtrip(sig, SetParam(0, default=5))
    assert new.params.params[0] == ParamSpec("k", L, 5)
    new = roundtrip(sig, SetParam(1, name="temp", type=ScalarType("float"), default=None, shape=[-1]))
    assert new.params.params[1] == ParamSpec("temp", ScalarType("float"), None, (-1,))
    inv = SetParam(1, shape=None).inverse(sig)
    assert inv == SetParam(1, shape=None) and inv.name is UNSET
    new = roundtrip(sig, AddParam(0, ParamSpec("s", S, "x")))
    assert [p.name for p in new.params.params] == ["s", "k", "t"]
    new = roundtrip(sig, RemoveParam(0))
    assert [p.name for p in new.params.params] == ["t"]
    new = roundtrip(sig, MoveParam(1, 0))
    assert [p.name for p in new.params.params] == ["t", "k"]
    no_params = Signature(inputs=sig.inputs)
    new = roundtrip(no_params, AddParam(None, ParamSpec("s", S, "x")))
    assert len(new.params) == 1


def test_invalid_intermediate_states_are_allowed():
    sig = base()
    # a duplicate name and a bad default: edits apply, validate() reports
    new = SetColumnName("inputs", 1, "a").apply(sig)
    new = SetParam(0, default="not a number").apply(new)
    messages = [i.message for i in new.validate()]
    assert any("duplicate name" in m for m in messages)
    assert any("invalid default" in m for m in messages)
    back = SetColumnName("inputs", 1, "b").apply(SetParam(0, default=1).apply(new))
    assert back == sig and back.validate() == []


def test_replace_section_and_signature():
    sig = base()
    new = roundtrip(sig, ReplaceSection("outputs", None))
    assert new.outputs is None
    new = roundtrip(sig, ReplaceSection("params", None))
    assert new.params is None
    proposal = Signature(inputs=Schema((ColSpec(L, "x"),)))
    new = roundtrip(sig, ReplaceSignature(proposal))
    assert new == proposal and new.style == sig.style
    assert roundtrip(sig, ReplaceSignature(None)) is None
    created = roundtrip(None, ReplaceSignature(proposal))
    assert created == proposal
    with pytest.raises(EditError):
        ReplaceSection("inputs", ParamSchema(())).apply(sig)


def test_compound_and_apply_edits():
    sig = base()
    edits = [SetColumnType("inputs", 0, L), MoveColumn("inputs", 0, 2), RemoveParam(1)]
    new = roundtrip(sig, Compound(tuple(edits), "three changes"))
    assert Compound(tuple(edits), "three changes").describe() == "three changes"
    result, inverses = apply_edits(sig, edits)
    assert result == new
    again, _ = apply_edits(result, inverses)
    assert again == sig


def test_errors_are_typed():
    sig = base()
    with pytest.raises(EditError, match="no signature"):
        SetColumnType("inputs", 0, D).apply(None)
    with pytest.raises(EditError, match="row 7"):
        SetColumnType("inputs", 7, D).apply(sig)
    with pytest.raises(EditError, match="unknown section"):
        SetColumnType("params", 0, D).apply(sig)
    with pytest.raises(EditError, match="no params"):
        RemoveParam(0).apply(Signature(inputs=sig.inputs))
    with pytest.raises(EditError, match="move"):
        MoveColumn("inputs", 0, 3).apply(sig)
    with pytest.raises(EditError, match="insert"):
        AddColumn("inputs", 9, ColSpec(D, "z")).apply(sig)


def test_every_edit_describes_itself():
    sig = base()
    edits = [
        SetColumnType("inputs", 0, L),
        SetTypes("inputs", (0, 1), S),
        SetColumnName("inputs", 0, None),
        SetRequired("inputs", 2, False),
        ReplaceColumn("inputs", 0, ColSpec(D, "q")),
        AddColumn("inputs", 0, ColSpec(D, "q")),
        RemoveColumn("inputs", 0),
        MoveColumn("inputs", 0, 1),
        DuplicateColumn("inputs", 0),
        SetTensorDtype("outputs", 0, "int64"),
        SetTensorShape("outputs", 0, (-1, 2)),
        SetParam(0, default=2),
        AddParam(None, ParamSpec("z", S, "v")),
        RemoveParam(0),
        MoveParam(0, 1),
        ReplaceSection("outputs", None),
        ReplaceSignature(None),
    ]
    for edit in edits:
        text = edit.describe()
        assert isinstance(text, str) and text
        assert edit.inverse(sig).describe()


def test_unique_name():
    assert unique_name("a_copy", ["a"]) == "a_copy"
    assert unique_name("a_copy", ["a", "a_copy", "a_copy2"]) == "a_copy3"


# ---------------------------------------------------------------------------------------------
# Columns <-> tensor


def test_double_columns_to_tensor_and_back():
    cols = Schema((ColSpec(D, "a"), ColSpec(D, "b"), ColSpec(D, "c", False)))
    tensor, why = convert_schema_kind(cols, "tensor")
    assert tensor == Schema((TensorSpec("float64", (-1, 3)),))
    assert "names are lost" in why and "'a'" in why
    assert "Optional flags are lost" in why
    back, why = convert_schema_kind(tensor, "columns")
    assert back == Schema((ColSpec(D), ColSpec(D), ColSpec(D)))
    assert "3 unnamed double columns" in why
    same, why = convert_schema_kind(tensor, "tensor")
    assert same is tensor and "nothing changed" in why


@pytest.mark.parametrize(
    ("types", "dtype"),
    [
        ((L, L), "int64"),
        ((ScalarType("integer"), L), "int64"),
        ((L, D), "float64"),
        ((ScalarType("float"), ScalarType("float")), "float32"),
        ((ScalarType("float"), L), "float64"),
        ((ScalarType("boolean"),), "bool"),
        ((S, L), "object"),
        ((ArrayType(D), D), "object"),
        ((ScalarType("datetime"),), "datetime64[ns]"),
    ],
)
def test_columns_to_tensor_dtype(types, dtype):
    tensor, why = convert_schema_kind(Schema(tuple(ColSpec(t) for t in types)), "tensor")
    assert tensor.specs[0].dtype == dtype
    assert tensor.specs[0].shape == (-1, len(types))


def test_tensor_shapes_to_columns():
    one_d, _ = convert_schema_kind(Schema((TensorSpec("int64", (-1,)),)), "columns")
    assert one_d == Schema((ColSpec(L),))
    var, why = convert_schema_kind(Schema((TensorSpec("float32", (-1, -1)),)), "columns")
    assert var == Schema((ColSpec(ArrayType(ScalarType("float"))),))
    assert "no longer checked" in why
    named, why = convert_schema_kind(
        Schema((TensorSpec("uint8", (-1, 28, 28), "img"), TensorSpec("uint64", (-1,), "id"))), "columns"
    )
    assert named == Schema(
        (ColSpec(ArrayType(ArrayType(ScalarType("integer"))), "img"), ColSpec(L, "id"))
    )
    assert "uint64" in why and "uint8" in why
    obj, why = convert_schema_kind(Schema((TensorSpec("object", (-1, 2)),)), "columns")
    assert obj == Schema((ColSpec(AnyType()), ColSpec(AnyType())))
    with pytest.raises(EditError):
        convert_schema_kind(Schema(()), "tensor")
    with pytest.raises(EditError):
        convert_schema_kind(Schema((ColSpec(D),)), "table")


def test_dtype_to_type_follows_mlflow_inference():
    assert dtype_to_type("int32")[0] == ScalarType("integer")
    assert dtype_to_type("uint32")[0] == L
    assert dtype_to_type("float16")[0] == ScalarType("float")
    assert dtype_to_type("datetime64[us]")[0] == ScalarType("datetime")
    assert isinstance(dtype_to_type("complex128")[0], AnyType)


# ---------------------------------------------------------------------------------------------
# Diff


def describe_all(a, b):
    return [c.describe() for c in diff_signatures(a, b)]


def test_diff_columns():
    a = base()
    b = a
    b = SetColumnType("inputs", 1, D).apply(b)
    b = SetRequired("inputs", 2, True).apply(b)
    b = MoveColumn("inputs", 2, 0).apply(b)
    b = AddColumn("inputs", None, ColSpec(S, "new")).apply(b)
    b = RemoveColumn("inputs", 1).apply(b)  # removes "a"
    changes = diff_signatures(a, b)
    kinds = sorted((c.kind, c.label) for c in changes)
    assert kinds == [
        ("added", "'new'"),
        ("moved", "'c'"),  # b and c swapped order: one of them is reported as moved
        ("removed", "'a'"),
        ("required_changed", "'c'"),
        ("type_changed", "'b'"),
    ]
    text = describe_all(a, b)
    assert "inputs: column 'b' type long -> double" in text
    assert "inputs: column 'c' is now required" in text
    assert "inputs: removed column 'a' (double)" in text
    assert "inputs: added column 'new' (string) at position 3" in text


def test_diff_moves_are_minimal():
    names = ["a", "b", "c", "d", "e"]
    a = Signature(inputs=Schema(tuple(ColSpec(D, n) for n in names)))
    b = MoveColumn("inputs", 4, 0).apply(a)
    changes = diff_signatures(a, b)
    assert [(c.kind, c.label, c.before, c.after) for c in changes] == [("moved", "'e'", 4, 0)]
    assert changes[0].describe() == "inputs: column 'e' moved from position 5 to 1"


def test_diff_params_tensors_sections():
    a = base()
    b = SetParam(0, default=2, type=D).apply(a)
    b = AddParam(None, ParamSpec("n", S, "x")).apply(b)
    b = SetTensorShape("outputs", 0, (-1, 2)).apply(b)
    text = describe_all(a, b)
    assert "params: param 'k' type long -> double" in text
    assert "params: param 'k' default 1 -> 2" in text
    assert any(t.startswith("params: added param 'n'") for t in text)
    assert "outputs: column #1 shape [-1] -> [-1, 2]" in text
    c = ReplaceSection("outputs", convert_schema_kind(a.outputs, "columns")[0]).apply(a)
    assert [ch.kind for ch in diff_signatures(a, c)] == ["section_kind_changed"]
    d = ReplaceSection("outputs", None).apply(a)
    assert [ch.kind for ch in diff_signatures(a, d)] == ["section_removed"]
    assert [ch.kind for ch in diff_signatures(d, a)] == ["section_added"]
    assert describe_all(None, a) == ["signature added"]
    assert describe_all(a, None) == ["signature removed"]
    assert diff_signatures(a, a) == [] and diff_signatures(None, None) == []


def test_diff_unnamed_positional():
    a = Signature(inputs=Schema((ColSpec(D), ColSpec(D))))
    b = Signature(inputs=Schema((ColSpec(L), ColSpec(D), ColSpec(S))))
    assert describe_all(a, b) == [
        "inputs: column #1 type double -> long",
        "inputs: added column #3 (string) at position 3",
    ]
    named = Signature(inputs=Schema((ColSpec(D, "x"), ColSpec(D, "y"))))
    assert describe_all(a, named) == [
        "inputs: column #1 renamed None -> 'x'",
        "inputs: column #2 renamed None -> 'y'",
    ]


# ---------------------------------------------------------------------------------------------
# Property test: random edit sequences undo exactly

scalar = st.sampled_from([ScalarType(n) for n in ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")])
value_type = st.recursive(
    scalar | st.just(AnyType()),
    lambda inner: st.builds(ArrayType, inner)
    | st.builds(MapType, inner)
    | st.builds(
        lambda props: ObjectType(tuple(props)),
        st.lists(st.builds(Property, st.text("abcxyz", min_size=1, max_size=3), inner, st.booleans()), min_size=1, max_size=3, unique_by=lambda p: p.name),
    ),
    max_leaves=4,
)
names = st.one_of(st.none(), st.text("abcdefgh", min_size=0, max_size=4), st.integers(0, 3))
colspec = st.builds(ColSpec, value_type, names, st.sampled_from([True, False, None]))
tensorspec = st.builds(
    TensorSpec,
    st.sampled_from(["float64", "float32", "int64", "str", "weird"]),
    st.lists(st.integers(-2, 5), max_size=3).map(tuple),
    names,
)
paramspec = st.builds(
    ParamSpec,
    st.text("kpq", min_size=0, max_size=3),
    scalar,
    st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=3), st.booleans()),
    st.sampled_from([None, (-1,), (2, 2)]),
)


def schemas(spec):
    return st.one_of(st.none(), st.lists(spec, max_size=4).map(lambda xs: Schema(tuple(xs))))


signatures = st.builds(
    Signature,
    schemas(st.one_of(colspec, tensorspec)),
    schemas(colspec),
    st.one_of(st.none(), st.lists(paramspec, max_size=3).map(lambda xs: ParamSchema(tuple(xs)))),
    st.builds(SourceStyle, st.sampled_from(["none", "optional", "required"]), st.booleans()),
)


def random_edit(data, sig):
    """Draw an edit that applies to ``sig`` (edits never need a valid signature)."""
    section = data.draw(st.sampled_from(["inputs", "outputs"]))
    schema = getattr(sig, section)
    n = len(schema.specs) if schema is not None else 0
    choices = ["add", "replace_section", "replace_signature", "add_param", "replace_params"]
    if n:
        choices += ["type", "types", "name", "required", "remove", "move", "dup", "dtype", "shape", "replace_col"]
    if sig.params is not None and len(sig.params):
        choices += ["set_param", "remove_param", "move_param"]
    kind = data.draw(st.sampled_from(choices))
    idx = st.integers(0, max(n - 1, 0))
    if kind in ("type", "required", "dtype", "shape"):
        cols = [i for i, s in enumerate(schema.specs) if isinstance(s, TensorSpec) == (kind in ("dtype", "shape"))]
        if not cols:
            kind = "name"
        else:
            i = data.draw(st.sampled_from(cols))
            if kind == "type":
                return SetColumnType(section, i, data.draw(value_type))
            if kind == "required":
                return SetRequired(section, i, data.draw(st.sampled_from([True, False, None])))
            if kind == "dtype":
                return SetTensorDtype(section, i, data.draw(st.sampled_from(["float32", "bool", "xx"])))
            return SetTensorShape(section, i, data.draw(st.lists(st.integers(-1, 4), max_size=3).map(tuple)))
    if kind == "types":
        cols = [i for i, s in enumerate(schema.specs) if isinstance(s, ColSpec)]
        if cols:
            return SetTypes(section, tuple(data.draw(st.lists(st.sampled_from(cols), min_size=1, max_size=3))), data.draw(scalar))
        kind = "name"
    if kind == "name":
        return SetColumnName(section, data.draw(idx), data.draw(names))
    if kind == "add":
        return AddColumn(section, data.draw(st.one_of(st.none(), st.integers(0, n))), data.draw(st.one_of(colspec, tensorspec)))
    if kind == "remove":
        return RemoveColumn(section, data.draw(idx))
    if kind == "move":
        return MoveColumn(section, data.draw(idx), data.draw(idx))
    if kind == "dup":
        return DuplicateColumn(section, data.draw(idx))
    if kind == "replace_col":
        return ReplaceColumn(section, data.draw(idx), data.draw(st.one_of(colspec, tensorspec)))
    if kind == "replace_section":
        return ReplaceSection(section, data.draw(schemas(colspec)))
    if kind == "replace_signature":
        return ReplaceSignature(data.draw(signatures), keep_style=data.draw(st.booleans()))
    if kind == "replace_params":
        return ReplaceSection("params", data.draw(st.one_of(st.none(), st.lists(paramspec, max_size=2).map(lambda xs: ParamSchema(tuple(xs))))))
    if kind == "add_param":
        m = len(sig.params) if sig.params is not None else 0
        return AddParam(data.draw(st.one_of(st.none(), st.integers(0, m))), data.draw(paramspec))
    pidx = st.integers(0, len(sig.params) - 1)
    if kind == "set_param":
        fields = data.draw(st.fixed_dictionaries({}, optional={
            "name": st.text("kz", max_size=2),
            "type": scalar,
            "default": st.one_of(st.none(), st.integers(), st.text(max_size=2)),
            "shape": st.sampled_from([None, (-1,), [3]]),
        }))
        return SetParam(data.draw(pidx), **fields)
    if kind == "remove_param":
        return RemoveParam(data.draw(pidx))
    return MoveParam(data.draw(pidx), data.draw(pidx))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signatures, st.data())
def test_random_edit_sequences_undo_exactly(original, data):
    sig = original
    undo = []
    for _ in range(data.draw(st.integers(1, 8))):
        if sig is None:
            edit = ReplaceSignature(data.draw(signatures))
        else:
            edit = random_edit(data, sig)
        sig, inverse = edit.apply_with_inverse(sig)
        undo.append(inverse)
        # every intermediate state can still be validated and described (no crash)
        if sig is not None:
            sig.validate()
    for inverse in reversed(undo):
        sig = inverse.apply(sig)
    assert sig == original
    assert sig.style == original.style
    assert dataclasses.astuple(sig) == dataclasses.astuple(original)
