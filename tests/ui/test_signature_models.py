"""The editable item models: qtmodeltester while editing, setData -> undoable core edits,
internal drag-and-drop moves, the delegates' editors, and random edit sequences (hypothesis)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, QObject, Qt, qInstallMessageHandler
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QLineEdit,
    QSpinBox,
    QStyleOptionViewItem,
)
from signature_support import expected_rows, mirror_rows

from mlmanager.core.signature.edits import (
    AddColumn,
    AddParam,
    DuplicateColumn,
    RemoveColumn,
    RemoveParam,
)
from mlmanager.core.signature.schema import (
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
    TensorSpec,
)
from mlmanager.ui.pages.signature.base_model import EDITOR_ROLE
from mlmanager.ui.pages.signature.delegates import FloatSpinBox, SignatureDelegate
from mlmanager.ui.pages.signature.document import SignatureDocument
from mlmanager.ui.pages.signature.params_model import ParamsModel
from mlmanager.ui.pages.signature.schema_model import ColumnSchemaModel
from mlmanager.ui.pages.signature.tensor_model import TensorSchemaModel, parse_shape

CHECK = Qt.ItemDataRole.CheckStateRole
EDIT = Qt.ItemDataRole.EditRole


def rich_signature() -> Signature:
    obj = ObjectType((Property("role", ScalarType("string")), Property("n", ScalarType("long"), False)))
    return Signature(
        inputs=Schema((
            ColSpec(ScalarType("double"), "a"),
            ColSpec(ArrayType(ScalarType("long")), "b"),
            ColSpec(obj, "c", False),
            ColSpec(MapType(ScalarType("string")), "d", None),
        )),
        outputs=Schema((TensorSpec("float64", (-1, 3)),)),
        params=ParamSchema((
            ParamSpec("threshold", ScalarType("double"), 0.5),
            ParamSpec("labels", ScalarType("string"), ["x"], (-1,)),
            ParamSpec("cfg", ObjectType((Property("k", ScalarType("string")),)), {"k": "v"}),
        )),
    )


def make_doc(sig: Signature | None = None, parent: QObject | None = None) -> SignatureDocument:
    base = SimpleNamespace(signature=sig if sig is not None else rich_signature(), signature_error=None)
    return SignatureDocument("test", base, parent)


@pytest.fixture
def doc(qapp):
    d = make_doc()
    yield d
    d.deleteLater()


def names(model) -> list:
    return [model.index(i, 0).data() for i in range(model.rowCount())]


def test_column_model_passes_tester_while_edited(qtmodeltester, doc) -> None:
    model = ColumnSchemaModel("inputs")
    model.set_document(doc)
    qtmodeltester.check(model)  # the tester stays attached for every change below
    assert names(model) == ["a", "b", "c", "d"]
    b = model.index(1, 0)
    assert model.rowCount(b) == 1 and model.index(0, 0, b).data() == "items"
    c = model.index(2, 0)
    assert [model.index(i, 0, c).data() for i in range(2)] == ["n", "role"]  # sorted, as MLflow
    assert model.index(2, 2).data(CHECK) == Qt.CheckState.Unchecked
    assert model.index(3, 2).data(CHECK) == Qt.CheckState.Checked  # required: null reads as true

    assert model.setData(model.index(0, 0), "alpha")  # rename
    assert model.setData(model.index(0, 1), "array")  # double -> array<double>: a child row appears
    assert model.rowCount(model.index(0, 0)) == 1
    assert model.setData(model.index(0, 1, model.index(0, 0)), "object", EDIT)  # items -> object
    assert model.index(0, 1).data() == "array<object>"
    assert model.setData(model.index(0, 1), "long")  # children go away
    assert model.rowCount(model.index(0, 0)) == 0
    # object properties: rename (re-sorted), required flag, type
    assert model.setData(model.index(1, 0, c), "zz")  # "role" -> "zz"
    assert [model.index(i, 0, c).data() for i in range(2)] == ["n", "zz"]
    assert model.setData(model.index(0, 2, c), Qt.CheckState.Checked.value, CHECK)
    assert doc.sig.inputs.specs[2].type.properties[0].required is True
    assert model.setData(model.index(2, 2), Qt.CheckState.Checked, CHECK)
    assert doc.sig.inputs.specs[2].required is True
    # a map column with required null becomes scalar: required is written as true
    assert model.setData(model.index(3, 1), "string")
    assert doc.sig.inputs.specs[3] == ColSpec(ScalarType("string"), "d", True)
    # no-op edits do not create undo steps
    depth = doc.stack.count()
    assert model.setData(model.index(0, 0), "alpha")
    assert doc.stack.count() == depth
    # structural edits: add/duplicate/remove/move through the document
    assert doc.push(AddColumn("inputs", 1, ColSpec(ScalarType("boolean"), "flag")))
    assert doc.push(DuplicateColumn("inputs", 2))
    assert names(model)[:4] == ["alpha", "flag", "b", "b_copy"]
    assert model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)  # Qt convention: before row 3
    assert names(model)[:4] == ["flag", "b", "alpha", "b_copy"]
    assert doc.push(RemoveColumn("inputs", 0))
    assert mirror_rows(model) == expected_rows(model)
    while doc.stack.canUndo():
        doc.stack.undo()
        assert mirror_rows(model) == expected_rows(model)
    assert doc.sig == rich_signature()
    assert names(model) == ["a", "b", "c", "d"]


def test_set_data_refuses_bad_values(qapp, doc) -> None:
    cols = ColumnSchemaModel("inputs")
    cols.set_document(doc)
    rejected: list[str] = []
    cols.rejected.connect(rejected.append)
    c = cols.index(2, 0)
    assert not cols.setData(cols.index(0, 0, c), "  ")  # empty property name
    assert not cols.setData(cols.index(0, 1), 3)  # not a type
    assert not cols.setData(cols.index(0, 1), "decimal")
    assert not cols.setData(cols.index(0, 0, cols.index(1, 0)), "x")  # "items" is not editable
    assert len(rejected) == 3 and doc.stack.count() == 0

    tensors = TensorSchemaModel("outputs")
    tensors.set_document(doc)
    tensors.rejected.connect(rejected.append)
    assert tensors.setData(tensors.index(0, 2), "-1, 4") and doc.sig.outputs.specs[0].shape == (-1, 4)
    assert tensors.setData(tensors.index(0, 1), "<f4") and doc.sig.outputs.specs[0].dtype == "float32"
    assert not tensors.setData(tensors.index(0, 1), "U10")  # sized strings are refused by MLflow
    assert not tensors.setData(tensors.index(0, 2), "[-2, 3]")
    assert not tensors.setData(tensors.index(0, 2), "a, b")
    assert "sized string" in rejected[-3]
    assert parse_shape("[ -1 , 28, 28 ]") == (-1, 28, 28) and parse_shape("[]") == ()


def test_params_model_defaults_follow_mlflow_rules(qtmodeltester, doc) -> None:
    model = ParamsModel()
    model.set_document(doc)
    qtmodeltester.check(model)
    rejected: list[str] = []
    model.rejected.connect(rejected.append)
    assert [model.index(i, 3).data() for i in range(3)] == ["0.5", '["x"]', '{"k": "v"}']
    assert model.index(0, 3).data(EDITOR_ROLE) == "default:double"
    assert model.index(1, 3).data(EDITOR_ROLE) == "default:json"
    # bad defaults never become edits (MLflow would refuse to load the model)
    assert not model.setData(model.index(0, 3), "abc")
    assert not model.setData(model.index(0, 3), True)
    assert not model.setData(model.index(1, 3), "[1, 2]")  # ints into a string list
    assert not model.setData(model.index(2, 3), '{"q": 1}')  # property not in the schema
    assert len(rejected) == 4 and doc.stack.count() == 0
    assert model.setData(model.index(0, 3), 2)  # int -> double is a safe conversion
    assert doc.sig.params.params[0].default == 2.0 and isinstance(doc.sig.params.params[0].default, float)
    # type change converts the default when MLflow would, else resets it, in one undo step
    assert model.setData(model.index(0, 1), "long")
    assert doc.sig.params.params[0] == ParamSpec("threshold", ScalarType("long"), 0)
    assert model.setData(model.index(0, 1), "boolean")
    assert doc.sig.params.params[0].default is False
    assert not model.setData(model.index(0, 1), "binary")  # not allowed for params
    assert model.setData(model.index(0, 2), "list")
    assert doc.sig.params.params[0].default == [False] and doc.sig.params.params[0].shape == (-1,)
    assert model.setData(model.index(0, 1), "datetime")
    assert model.setData(model.index(0, 2), "scalar")
    assert model.setData(model.index(0, 3), "2024-05-01")
    assert doc.sig.params.params[0].default == "2024-05-01"
    # object params: properties are child rows with a required flag
    cfg = model.index(2, 0)
    assert model.rowCount(cfg) == 1 and model.index(0, 4, cfg).data(CHECK) == Qt.CheckState.Checked
    assert model.setData(model.index(0, 0, cfg), "key")
    assert doc.sig.params.params[2].default == {"key": ""}  # old default no longer fits: fresh one
    assert doc.push(AddParam(None, ParamSpec("extra", ScalarType("long"), 1)))
    assert doc.push(RemoveParam(0))
    assert [model.index(i, 0).data() for i in range(model.rowCount())] == ["labels", "cfg", "extra"]
    assert mirror_rows(model) == expected_rows(model)
    while doc.stack.canUndo():
        doc.stack.undo()
    assert doc.sig == rich_signature()


def test_internal_drag_and_drop_moves_rows(qapp, doc) -> None:
    model = ColumnSchemaModel("inputs")
    model.set_document(doc)
    mime = model.mimeData([model.index(3, 0), model.index(3, 1)])
    assert model.canDropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    other = ColumnSchemaModel("outputs")
    other.set_document(doc)
    assert not other.canDropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert not model.canDropMimeData(mime, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert names(model) == ["d", "a", "b", "c"]
    assert doc.stack.undoText().startswith("Move inputs row 4")
    # dropped onto a nested row: lands before its top-level row
    mime = model.mimeData([model.index(0, 0)])
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, model.index(0, 0, model.index(2, 0)))
    assert names(model) == ["a", "d", "b", "c"]
    doc.stack.undo()
    doc.stack.undo()
    assert doc.sig == rich_signature()


def test_delegates_make_editors_fit_for_the_cell(qtbot, doc) -> None:
    from PySide6.QtWidgets import QWidget

    cols, params = ColumnSchemaModel("inputs"), ParamsModel()
    cols.set_document(doc)
    params.set_document(doc)
    tensors = TensorSchemaModel("outputs")
    tensors.set_document(doc)
    host = QWidget()
    qtbot.addWidget(host)
    delegate = SignatureDelegate(host)
    opt = QStyleOptionViewItem()

    def editor(model, index, value=None):
        e = delegate.createEditor(host, opt, index)
        delegate.setEditorData(e, index)
        return e

    e = editor(cols, cols.index(0, 1))
    assert isinstance(e, QComboBox) and e.currentText() == "double"
    assert {"array", "object", "map", "any", "binary"} <= {e.itemText(i) for i in range(e.count())}
    e.setCurrentIndex(e.findText("float"))
    delegate.setModelData(e, cols, cols.index(0, 1))
    assert doc.sig.inputs.specs[0].type == ScalarType("float")
    e = editor(params, params.index(0, 1))
    assert "binary" not in {e.itemText(i) for i in range(e.count())} and e.findText("object") >= 0
    e = editor(params, params.index(0, 3))
    assert isinstance(e, FloatSpinBox) and e.text() == "0.5"
    e.setValue(0.25)
    delegate.setModelData(e, params, params.index(0, 3))
    assert doc.sig.params.params[0].default == 0.25
    e = editor(params, params.index(1, 3))
    assert isinstance(e, QLineEdit) and e.text() == '["x"]'
    e.setText('["y", "z"]')
    delegate.setModelData(e, params, params.index(1, 3))
    assert doc.sig.params.params[1].default == ["y", "z"]
    e = editor(tensors, tensors.index(0, 1))
    assert isinstance(e, QComboBox) and e.isEditable() and e.currentText() == "float64"
    e = editor(tensors, tensors.index(0, 2))
    assert isinstance(e, QLineEdit) and e.text() == "[-1, 3]"
    # boolean -> checkbox, integer -> spin box, long -> line edit, datetime -> date-time edit
    for kind, cls in (("boolean", QCheckBox), ("integer", QSpinBox), ("long", QLineEdit),
                      ("datetime", QDateTimeEdit)):
        assert params.setData(params.index(0, 1), kind)
        e = editor(params, params.index(0, 3))
        assert isinstance(e, cls), kind
    e.setDateTime(e.dateTime().addDays(1))
    delegate.setModelData(e, params, params.index(0, 3))
    assert doc.sig.params.params[0].default.endswith("T00:00:00")
    assert params.setData(params.index(0, 1), "boolean")
    e = editor(params, params.index(0, 3))
    e.setChecked(True)
    delegate.setModelData(e, params, params.index(0, 3))
    assert doc.sig.params.params[0].default is True


# -- hypothesis: random edit sequences through the Qt models ------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["name", "type", "required", "child_type", "move", "add", "remove", "dup",
                         "p_default", "p_type", "p_shape", "t_shape", "t_dtype", "undo", "redo"]),
        st.integers(0, 9),
        st.sampled_from(["double", "long", "array", "object", "map", "string", "any", "x", "",
                         "list", "scalar", "3", "[-1, 2]", "int32"]),
    ),
    max_size=22,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_random_edit_sequences_undo_to_the_original(qapp, ops) -> None:
    messages: list[str] = []
    previous = qInstallMessageHandler(lambda _t, _c, msg: messages.append(msg))
    try:
        doc = make_doc()
        cols, params, tensors = ColumnSchemaModel("inputs"), ParamsModel(), TensorSchemaModel("outputs")
        testers = []
        for m in (cols, params, tensors):
            m.set_document(doc)
            testers.append(QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Warning))
        for op, n, value in ops:
            rows = cols.rowCount()
            prow = params.rowCount()
            r = n % rows if rows else 0
            if op == "name" and rows:
                cols.setData(cols.index(r, 0), value or None)
            elif op == "type" and rows:
                cols.setData(cols.index(r, 1), value)
            elif op == "required" and rows:
                cols.setData(cols.index(r, 2), n % 2 and Qt.CheckState.Checked or Qt.CheckState.Unchecked, CHECK)
            elif op == "child_type" and rows and cols.rowCount(cols.index(r, 0)):
                cols.setData(cols.index(0, 1, cols.index(r, 0)), value)
            elif op == "move" and rows > 1:
                cols.moveRows(QModelIndex(), r, 1, QModelIndex(), (n * 7) % (rows + 1))
            elif op == "add":
                doc.push(AddColumn("inputs", n % (rows + 1), ColSpec(ScalarType("long"), f"n{n}")))
            elif op == "remove" and rows > 1:
                doc.push(RemoveColumn("inputs", r))
            elif op == "dup" and rows:
                doc.push(DuplicateColumn("inputs", r))
            elif op == "p_default" and prow:
                params.setData(params.index(n % prow, 3), value)
            elif op == "p_type" and prow:
                params.setData(params.index(n % prow, 1), value)
            elif op == "p_shape" and prow:
                params.setData(params.index(n % prow, 2), value)
            elif op == "t_shape":
                tensors.setData(tensors.index(0, 2), value)
            elif op == "t_dtype":
                tensors.setData(tensors.index(0, 1), value)
            elif op == "undo":
                doc.stack.undo()
            elif op == "redo":
                doc.stack.redo()
            for m in (cols, params, tensors):
                assert mirror_rows(m) == expected_rows(m)
        final, final_index = doc.sig, doc.stack.index()
        doc.stack.setIndex(0)  # undo everything
        assert doc.sig == rich_signature()
        assert doc.sig.to_canonical() == rich_signature().to_canonical()
        doc.stack.setIndex(final_index)  # and redo it again
        assert doc.sig == final
        for m in (cols, params, tensors):
            assert mirror_rows(m) == expected_rows(m)
        assert messages == []
    finally:
        qInstallMessageHandler(previous)
