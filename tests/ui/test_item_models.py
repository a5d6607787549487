"""Every item model passes QAbstractItemModelTester, also while it changes."""

from __future__ import annotations

from mlmanager.core.model.artifacts import Artifact
from mlmanager.ui.models.artifacts import ArtifactTreeModel
from mlmanager.ui.models.library import (
    GROUP,
    MODEL,
    KindRole,
    LibraryFilter,
    LibraryModel,
    ScanRecord,
)
from mlmanager.ui.models.mlmodel_tree import MLmodelTreeModel
from mlmanager.ui.models.tables import RowsModel
from mlmanager.ui.models.tree import TreeNode


def _records(n: int, exp: str = "1", prefix: str = "/tmp/x") -> list[ScanRecord]:
    return [
        ScanRecord(path=f"{prefix}/{exp}/run{i % 7:032d}/artifacts/model{i}", name=f"model{i}",
                   experiment_id=exp, experiment_name=f"exp-{exp}", run_id=f"{i % 7:032x}",
                   run_name=f"run-{i % 7}", flavors=("python_function", "sklearn"))
        for i in range(n)
    ]


def test_library_model_while_changing(qtmodeltester) -> None:
    model = LibraryModel()
    qtmodeltester.check(model)
    model.add_open_model("/a/key", "first", "/a/key")
    model.add_open_model("/b/key", "second", "/b/key")
    source = model.add_source("/tmp/x", "x")
    assert model.add_records(source, _records(20)) == 20
    assert model.add_records(source, _records(20)) == 0  # the same models again: nothing new
    model.add_records(source, _records(10, exp="2"))
    model.add_records(source, [ScanRecord(path="/tmp/x/standalone", name="standalone")])
    model.add_problems(source, ["permission denied: /tmp/x/secret", "vanished: /tmp/x/gone"])
    model.set_source_status(source, "30 models")
    model.set_model_label("/a/key", "renamed", "sklearn")
    model.entry_changed("/a/key")
    assert model.remove_open_model("/b/key")
    assert model.model_count(source) == 31
    exps = [c for c in source.children if c.kind == "experiment"]
    assert [e.label for e in exps] == ["exp-1", "exp-2"]
    assert all(len(e.children) == 7 for e in exps)  # runs grouped
    model.clear_source(source)
    assert model.model_count(source) == 0
    model.add_records(source, _records(5))
    model.remove_source(source)
    assert model.sources() == []
    assert model.rowCount() == 1 and model.index(0, 0).data(KindRole) == GROUP


def test_library_filter_proxy(qtmodeltester) -> None:
    model = LibraryModel()
    proxy = LibraryFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    source = model.add_source("/tmp/x", "x")
    model.add_records(source, _records(14))
    assert proxy.set_text("model13") == 1
    names = []

    def walk(parent):
        for r in range(proxy.rowCount(parent)):
            idx = proxy.index(r, 0, parent)
            if idx.data(KindRole) == MODEL:
                names.append(idx.data())
            walk(idx)

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    assert names == ["model13"]
    model.add_records(source, _records(3, exp="9", prefix="/tmp/y"))
    assert proxy.set_text("exp-9") == 3  # a matching experiment shows its models
    names.clear()
    walk(QModelIndex())
    assert len(names) == 3
    proxy.set_text("")
    names.clear()
    walk(QModelIndex())
    assert len(names) == 17


def test_mlmodel_tree_model(qtmodeltester) -> None:
    model = MLmodelTreeModel()
    qtmodeltester.check(model)
    model.set_data({"flavors": {"sklearn": {"pickled_model": "model.pkl", "code": None}},
                    "signature": {"inputs": '[{"type": "double", "name": "a", "required": true}]',
                                  "outputs": '[{"type": "long"}]', "params": None},
                    "tags": [1, 2.5, True, None], "utc_time_created": "2024-01-01 00:00:00"})
    sig = model.find("signature.inputs")
    assert sig.isValid()
    node = model.node(sig)
    assert node.table == (["Name", "Type", "Required"], [["a", "double", "required"]])
    assert model.node(model.find("signature.inputs[0]")).values[:2] == ["a", "double"]
    assert model.node(model.find("tags[2]")).values[1:] == ["true", "bool"]
    model.set_data(None)
    assert model.rowCount() == 0
    model.set_data({"a": {"b": {"c": [1, {"d": "e"}]}}})
    assert model.find("a.b.c[1].d").isValid()


def test_artifact_tree_model(qtmodeltester) -> None:
    model = ArtifactTreeModel()
    qtmodeltester.check(model)
    arts = [Artifact("MLmodel", 100, "mlmodel"), Artifact("model.pkl", 5000, "model"),
            Artifact("code/a.py", 10, "code"), Artifact("code/sub/b.py", 20, "code"),
            Artifact("link", 0, "symlink", target="/etc/passwd")]
    model.set_artifacts(arts)
    code = model.node(model.find("code"))
    assert code.values[1] == "30 B"  # folder size is the sum of its files
    assert [c.values[0] for c in model.root.children] == ["code", "link", "MLmodel", "model.pkl"]
    model.append(code, [TreeNode(["c.py", "1 B", "code"], path="code/c.py")])
    model.set_artifacts([])
    assert model.rowCount() == 0


def test_rows_model(qtmodeltester) -> None:
    model = RowsModel(["A", "B"], [["1", "2"]])
    qtmodeltester.check(model)
    model.append_rows([["3", "4"], ["5", None]])
    assert model.rowCount() == 3 and model.index(2, 1).data() == ""
    model.set_rows(["X"], [["only"]])
    assert model.columnCount() == 1
    model.clear()
    assert model.rowCount() == 0 and model.columnCount() == 1
