"""Classification, the opcode walk, the restricted unpickler and the trust store (in-process).

Nothing here unpickles a hostile file except through the restricted unpickler, whose job is
to refuse it; a marker file proves no payload ran.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import stat
from pathlib import Path

import numpy as np
import pytest
import worker_builders as wb

from mlmanager.core.errors import ModelReadError, WriteError
from mlmanager.core.safety import (
    CONTAINS_CODE,
    KNOWN_DANGEROUS,
    SAFE_LISTED,
    UNPARSEABLE,
    UNTRUSTED_IMPORTS,
    SafetyReport,
    TrustStore,
    classify_globals,
    classify_skops_types,
    is_dangerous_global,
    may_load,
    sha256_file,
)
from mlmanager.worker.allowlist import Allowlist, load_allowlist
from mlmanager.worker.scanner import list_pickle_globals, scan_pickle
from mlmanager.worker.unpickler import BlockedGlobalError, restricted_loads

ALLOW = Allowlist({("numpy", "dtype"), ("sklearn.tree._tree", "Tree"), ("builtins", "set")})


@pytest.fixture(scope="module")
def allowlist(tmp_path_factory: pytest.TempPathFactory) -> Allowlist:
    return load_allowlist(tmp_path_factory.mktemp("cache"))


def reference_globals(data: bytes) -> set[tuple[str, str]]:
    """GLOBAL/INST plus STACK_GLOBAL resolved by a genops-based shadow stack (simple pickles)."""
    found = set()
    strings: list[object] = []
    memo: dict[int, object] = {}
    for op, arg, _ in pickletools.genops(io.BytesIO(data)):
        if op.name in ("GLOBAL", "INST"):
            found.add(tuple(arg.split(" ", 1)))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "MEMOIZE":
            memo[len(memo)] = strings[-1] if strings else None
        elif op.name == "STACK_GLOBAL":
            found.add((strings[-2], strings[-1]))
    return found


# ------------------------------------------------------------------ classification


def test_classification_order_and_reasons() -> None:
    ok = classify_globals({("numpy", "dtype")}, False, ALLOW)
    assert ok.classification == SAFE_LISTED
    untrusted = classify_globals({("numpy", "dtype"), ("importlib", "import_module")}, False, ALLOW)
    assert untrusted.classification == UNTRUSTED_IMPORTS
    assert untrusted.untrusted == ("importlib.import_module",)
    code = classify_globals({("cloudpickle.cloudpickle", "_make_function"), ("x", "y")}, False, ALLOW)
    assert code.classification == CONTAINS_CODE and code.untrusted == ("x.y",)
    bad = classify_globals({("posix", "system"), ("cloudpickle.cloudpickle", "_make_function")},
                           False, ALLOW)
    assert bad.classification == KNOWN_DANGEROUS and bad.dangerous == ("posix.system",)
    assert "posix.system" in bad.summary
    broken = classify_globals({("posix", "system")}, "cannot parse: opcode", ALLOW)
    assert broken.classification == UNPARSEABLE and "dangerous" in " ".join(broken.reasons)
    empty = classify_globals(set(), "empty file", ALLOW, not_a_pickle=True)
    assert empty.classification == UNPARSEABLE


@pytest.mark.parametrize(("module", "name"), [
    ("posix", "system"), ("os", "system"), ("nt", "system"), ("__builtin__", "exec"),
    ("builtins", "eval"), ("functools", "partial"), ("_pickle", "loads"), ("pickle", "loads"),
    ("subprocess", "Popen"), ("asyncio.unix_events", "x"), ("unknown", "x"),
    ("sklearn.utils.fixes", "os.system"), ("numpy", "__builtins__.eval"), ("numpy", "load"),
    ("operator", "attrgetter"), ("types", "CodeType"),
])
def test_dangerous_names(module: str, name: str) -> None:
    assert is_dangerous_global(module, name)


@pytest.mark.parametrize(("module", "name"), [
    ("numpy", "dtype"), ("numpy.random._pickle", "__randomstate_ctor"), ("builtins", "slice"),
    ("sklearn.tree._tree", "__pyx_unpickle_Tree"), ("importlib", "import_module"),
    ("builtins", "bytearray"), ("numpy", "zeros"),
])
def test_not_dangerous_names(module: str, name: str) -> None:
    assert not is_dangerous_global(module, name)


def test_may_load_matrix() -> None:
    reports = {c: SafetyReport(c, sha256="a" * 64) for c in
               (SAFE_LISTED, CONTAINS_CODE, UNTRUSTED_IMPORTS, KNOWN_DANGEROUS, UNPARSEABLE)}
    expected = {
        (SAFE_LISTED, False): True, (SAFE_LISTED, True): True,
        (CONTAINS_CODE, False): False, (CONTAINS_CODE, True): True,
        (UNTRUSTED_IMPORTS, False): False, (UNTRUSTED_IMPORTS, True): True,
        (KNOWN_DANGEROUS, False): False, (KNOWN_DANGEROUS, True): False,
        (UNPARSEABLE, False): False, (UNPARSEABLE, True): False,
    }
    for (cls, trusted), allowed in expected.items():
        ok, reason = may_load(reports[cls], trusted)
        assert ok is allowed, (cls, trusted, reason)
        assert reason
    assert "a" * 64 in may_load(reports[CONTAINS_CODE], False)[1]


def test_report_round_trip_and_validation() -> None:
    report = classify_globals({("posix", "system")}, False, ALLOW, sha256="b" * 64, size=10)
    assert SafetyReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    bad = report.to_dict() | {"classification": "SAFE"}
    with pytest.raises(ValueError):
        SafetyReport.from_dict(bad)
    with pytest.raises(ValueError):
        SafetyReport.from_dict(report.to_dict() | {"sha256": "../../etc"})
    with pytest.raises(ValueError):
        SafetyReport.from_dict(report.to_dict() | {"imports": [1, 2]})


def test_skops_classification_ignores_mlmodel_list() -> None:
    app = ["sklearn.tree._tree.Tree"]
    rep = classify_skops_types(["posix.system"], app, mlmodel_trusted=["posix.system"])
    assert rep.classification == KNOWN_DANGEROUS
    assert any("ignored" in w for w in rep.warnings)
    assert classify_skops_types(["sklearn.tree._tree.Tree"], app).classification == SAFE_LISTED
    assert classify_skops_types(["mypkg.Thing"], app).classification == UNTRUSTED_IMPORTS


# ------------------------------------------------------------------ the opcode walk


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_walk_matches_genops_on_benign_models(protocol: int) -> None:
    from sklearn.ensemble import RandomForestClassifier

    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(*wb.xy())
    data = pickle.dumps({"m": model, "s": {1, 2}, "x": [1.5, "a", b"b", None, True]}, protocol=protocol)
    ours = list_pickle_globals(data)
    assert ours.error is None and not ours.not_a_pickle
    assert ours.n_ops == sum(1 for _ in pickletools.genops(io.BytesIO(data)))
    if protocol < 4:
        assert ours.globals == reference_globals(data)
    assert ("sklearn.ensemble._forest", "RandomForestClassifier") in ours.globals


def test_walk_resolves_memo_confusion(tmp_path: Path) -> None:
    data = wb.m09(tmp_path / "marker")
    ours = list_pickle_globals(data)
    assert ("posix", "system") in ours.globals
    assert scan_pickle(data, ALLOW).classification == KNOWN_DANGEROUS


def test_walk_errors() -> None:
    good = pickle.dumps([1, 2, 3])
    assert list_pickle_globals(b"").not_a_pickle
    trunc = list_pickle_globals(good[:-3])
    assert trunc.error and not trunc.not_a_pickle
    assert list_pickle_globals(b"root:x:0:0:root:/root:/bin/bash\n").error
    stacked = list_pickle_globals(good + pickle.dumps(os.system))
    assert stacked.n_pickles == 2 and ("posix", "system") in stacked.globals
    tail = list_pickle_globals(good + b"\xff")
    assert tail.error and tail.n_pickles == 1


def test_scan_of_hostile_pickles(tmp_path: Path, allowlist: Allowlist) -> None:
    marker = tmp_path / "marker"
    cases = {
        KNOWN_DANGEROUS: [wb.m01(marker), wb.m02(marker), wb.m02b(marker), wb.m03(marker),
                          wb.m05(marker), wb.m09(marker), wb.m12(marker), wb.m17(marker),
                          wb.m18(marker)],
        UNPARSEABLE: [wb.m07(marker), wb.m01(marker)[:-5], b""],
        UNTRUSTED_IMPORTS: [wb.m04(), wb.m10(), wb.m11(), wb.m15()],
        CONTAINS_CODE: [wb.pipe_lambda_cloud(), wb.m06(marker)],
        SAFE_LISTED: [wb.m16()],
    }
    for expected, blobs in cases.items():
        for data in blobs:
            report = scan_pickle(data, allowlist)
            assert report.classification == expected, report
    assert not marker.exists()
    untrusted = scan_pickle(wb.m04(), allowlist)
    assert untrusted.untrusted == ("importlib.import_module",)


# ------------------------------------------------------------------ the restricted unpickler


def test_restricted_unpickler_blocks_before_reduce(tmp_path: Path, allowlist: Allowlist) -> None:
    marker = tmp_path / "marker"
    for data in (wb.m01(marker), wb.m02b(marker), wb.m03(marker), wb.m05(marker),
                 wb.m09(marker), wb.m12(marker), wb.m17(marker), wb.m18(marker), wb.m04(),
                 wb.m10(), wb.m11(), wb.m15(), wb.m06(marker)):
        with pytest.raises(BlockedGlobalError):
            restricted_loads(data, allowlist)
    with pytest.raises(pickle.UnpicklingError):
        restricted_loads(wb.m07(marker), allowlist)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_restricted_unpickler_loads_benign_models(protocol: int, allowlist: Allowlist) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X, y = wb.xy(80)
    models = [
        RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
        HistGradientBoostingClassifier(max_iter=3).fit(X, y),
        Pipeline([("ct", ColumnTransformer([("abs", FunctionTransformer(np.abs), [0, 1]),
                                            ("sc", StandardScaler(), [2])])),
                  ("lr", LogisticRegression())]).fit(X, y),
    ]
    for model in models:
        data = pickle.dumps(model, protocol=protocol)
        assert scan_pickle(data, allowlist).classification == SAFE_LISTED
        clone = restricted_loads(data, allowlist)
        assert (clone.predict(X) == model.predict(X)).all()


# ------------------------------------------------------------------ trust store, hashing


def test_trust_store_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "trust.json"
    store = TrustStore(path)
    sha = "c" * 64
    assert not store.is_trusted(sha)
    store.trust(sha, "/models/m/model.pkl", CONTAINS_CODE)
    assert TrustStore(path).is_trusted(sha)
    assert TrustStore(path).entries()[sha]["classification"] == CONTAINS_CODE
    assert not list(path.parent.glob(".trust-*"))  # no temp file left behind
    assert store.revoke(sha) and not TrustStore(path).is_trusted(sha)
    assert not store.revoke(sha)
    with pytest.raises(ValueError):
        store.trust("not-a-sha")


def test_trust_store_refuses_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelReadError):
        TrustStore(bad)
    target = tmp_path / "target.json"
    target.write_text(json.dumps({"version": 1, "trusted": {}}))
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with pytest.raises(ModelReadError):
        TrustStore(link)
    store = TrustStore(tmp_path / "ok.json")
    (tmp_path / "ok.json").symlink_to(target)
    with pytest.raises(WriteError):
        store.trust("d" * 64)


def test_sha256_file_refuses_fifo_and_links(tmp_path: Path) -> None:
    import hashlib

    f = tmp_path / "f.bin"
    f.write_bytes(b"abc")
    assert sha256_file(f) == hashlib.sha256(b"abc").hexdigest()
    link = tmp_path / "link"
    link.symlink_to(f)
    with pytest.raises(ModelReadError):
        sha256_file(link)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ModelReadError):
        sha256_file(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
