"""Signatures written by mlmanager load in the real mlflow and mean the same thing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlmanager.core.model.yamlio import load_yaml_bytes
from mlmanager.core.signature.schema import Signature

mlflow = pytest.importorskip("mlflow")
from mlflow.models.signature import ModelSignature  # noqa: E402


def _signatures(shared: Path, wild: Path):
    for f in sorted(shared.glob("*.expected.json")):
        exp = json.loads(f.read_text())
        if exp.get("kind") != "tracking":
            yield exp["name"], load_yaml_bytes((shared / exp["model_dir"] / "MLmodel").read_bytes()).get("signature")
    for entry in json.loads((wild / "index.json").read_text()):
        yield entry["slug"], load_yaml_bytes((wild / entry["slug"] / "MLmodel").read_bytes()).get("signature")


def test_current_and_legacy_dialects_load_in_mlflow(models_dir: Path, wild_models: Path) -> None:
    checked = 0
    for name, raw in _signatures(models_dir, wild_models):
        if not raw:
            continue
        ours = Signature.from_mlmodel(raw)
        theirs = ModelSignature.from_dict(dict(raw))
        for dialect in ("current", "legacy"):
            if dialect == "legacy" and ours.needs_current_dialect():
                continue
            written = ours.to_mlmodel(dialect)
            reread = ModelSignature.from_dict(written)
            assert reread == theirs, (name, dialect)
            decoded = {k: (json.loads(v) if v else None) for k, v in reread.to_dict().items()}
            assert decoded == ours.to_canonical(), (name, dialect)
        checked += 1
    assert checked >= 25
