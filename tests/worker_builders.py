"""Build small model folders and the hostile pickles of security.md §3.2 at test time.

Every hostile payload tries to create ``marker`` (a path inside the test's tmp dir); the tests
assert the marker does not exist when the file must be blocked.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import io
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import sklearn
import yaml

SKLEARN_VERSION = sklearn.__version__


class Reduce:
    """Pickles as ``fn(*args)``."""

    def __init__(self, fn: Any, args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.fn, self.args


def touch_cmd(marker: Path) -> str:
    return f"touch {marker}"


def write_model(
    folder: Path,
    data: bytes,
    *,
    filename: str = "model.pkl",
    fmt: str | None = "cloudpickle",
    sklearn_version: str = SKLEARN_VERSION,
    python_version: str | None = "3.11.7",
    predict_fn: str = "predict",
    skops_trusted_types: list[str] | None = None,
    pickled_model: str | None = None,
    code: str | None = None,
) -> Path:
    """Write ``data`` as the model file of a minimal MLflow sklearn folder."""
    folder.mkdir(parents=True, exist_ok=True)
    if data is not None:
        (folder / filename).write_bytes(data)
    sk: dict[str, Any] = {
        "code": code, "pickled_model": pickled_model or filename,
        "sklearn_version": sklearn_version, "skops_trusted_types": skops_trusted_types,
    }
    if fmt is not None:
        sk["serialization_format"] = fmt
    pyfunc: dict[str, Any] = {
        "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
        "loader_module": "mlflow.sklearn", "model_path": pickled_model or filename,
        "predict_fn": predict_fn, "python_version": python_version,
    }
    doc = {"flavors": {"python_function": pyfunc, "sklearn": sk}, "mlflow_version": "3.17.2"}
    (folder / "MLmodel").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder


def xy(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 3)
    return X, (X[:, 0] > 0.5).astype(int)


# ------------------------------------------------------------------- hostile pickles (§3.2)


def m01(marker: Path) -> bytes:
    return pickle.dumps(Reduce(os.system, (touch_cmd(marker),)), protocol=4)


def m02(marker: Path, protocol: int = 4) -> bytes:
    code = f"open({str(marker)!r}, 'w').write('x')"
    return pickle.dumps(Reduce(builtins.exec, (code,)), protocol=protocol)


def m02b(marker: Path) -> bytes:
    data = m02(marker, protocol=0)
    assert b"c__builtin__\nexec" in data
    return data


def m03(marker: Path) -> bytes:
    code = f"open({str(marker)!r}, 'w').write('x')"
    return pickle.dumps(Reduce(builtins.eval, (code,)), protocol=2)


def m04() -> bytes:
    return pickle.dumps(Reduce(importlib.import_module, ("os",)), protocol=4)


def m05(marker: Path) -> bytes:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(*xy())
    return pickle.dumps({"model": model, "x": Reduce(os.system, (touch_cmd(marker),))}, protocol=4)


def evil_function(marker: Path) -> Any:
    """A function pickled by value (its module is __main__) that writes its pid at call time."""
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(  # noqa: S102 - building the test fixture
        "import os\n"
        "def evil(X):\n"
        f"    open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
        "    return X\n",
        ns,
    )
    return ns["evil"]


def m06(marker: Path) -> bytes:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = Pipeline([("f", FunctionTransformer(evil_function(marker))), ("lr", LogisticRegression())])
    X, y = xy()
    pipe.fit(X, y)
    if os.path.exists(marker):
        os.unlink(marker)  # fitting ran it here; only the worker may run it from now on
    return cloudpickle.dumps(pipe)


def m07(marker: Path) -> bytes:
    """nullifAI: GLOBAL posix.system + REDUCE, then a corrupt tail before any STOP."""
    cmd = touch_cmd(marker).encode()
    return (b"\x80\x04cposix\nsystem\n" + b"\x8c" + bytes([len(cmd)]) + cmd + b"\x85R"
            + b"\xff\xfe garbage")


def m09(marker: Path) -> bytes:
    """PUT/MEMOIZE memo confusion: a backward walk resolves the module to '0', not 'posix'."""
    cmd = touch_cmd(marker).encode()

    def s(text: bytes) -> bytes:
        return b"\x8c" + bytes([len(text)]) + text

    return (
        b"\x80\x04"
        + s(b"posix") + b"\x94"  # memo[0] = 'posix'
        + b"0"  # POP
        + s(b"harmless") + b"\x94" + b"0"  # memo[1]
        + b"h\x00" + b"\x94" + b"0"  # BINGET 0; MEMOIZE -> memo[2] = 'posix' (really)
        + s(b"system") + b"\x94" + b"0"  # memo[3]
        + b"h\x02" + b"h\x03" + b"\x93"  # STACK_GLOBAL(memo[2], memo[3]) = posix.system
        + s(cmd) + b"\x85R."
    )


def m10() -> bytes:
    return pickle.dumps(Reduce(bytearray, (8 << 30,)), protocol=4)


def m11() -> bytes:
    return pickle.dumps(Reduce(np.zeros, ((200_000, 200_000),)), protocol=4)


def m12(marker: Path) -> bytes:
    return pickle.dumps(Reduce(pickle.loads, (m01(marker),)), protocol=4)


def m15() -> bytes:
    """sum(itertools.repeat(1)) by hand (itertools objects no longer pickle)."""
    def s(text: bytes) -> bytes:
        return b"\x8c" + bytes([len(text)]) + text

    return (b"\x80\x04" + s(b"builtins") + s(b"sum") + b"\x93"
            + s(b"itertools") + s(b"repeat") + b"\x93" + b"K\x01\x85R" + b"\x85R.")


def m16() -> bytes:
    """A DecisionTree whose node children point 10**9 nodes away: segfaults at predict."""
    from sklearn.tree import DecisionTreeClassifier

    X, y = xy()
    clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    cls, args, state = clf.tree_.__reduce__()
    state = dict(state)
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = 10**9
    nodes["right_child"][0] = 10**9
    state["nodes"] = nodes

    class FakeTree:
        def __reduce__(self) -> Any:
            return cls, args, state

    clf.tree_ = FakeTree()
    return pickle.dumps(clf, protocol=4)


def m17(marker: Path) -> bytes:
    return pickle.dumps(Reduce(functools.partial(os.system, touch_cmd(marker)), ()), protocol=4)


def m18(marker: Path) -> bytes:
    data = pickle.dumps(Reduce(cloudpickle.loads, (m01(marker),)), protocol=4)
    assert b"_pickle" in data
    return data


def pipe_lambda_cloud() -> bytes:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = Pipeline([("f", FunctionTransformer(lambda x: x)), ("lr", LogisticRegression())])
    return cloudpickle.dumps(pipe.fit(*xy()))


def printing_model(text: str) -> bytes:
    """A trusted (cloudpickled) model whose predict prints ``text`` to stdout."""
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(  # noqa: S102 - building the test fixture
        "import sys\n"
        "class Printer:\n"
        "    def __init__(self, text):\n"
        "        self.text = text\n"
        "    def predict(self, X):\n"
        "        print(self.text)\n"
        "        sys.stdout.write(self.text + '\\n')\n"
        "        sys.stdout.flush()\n"
        "        import os\n"
        "        os.write(1, (self.text + '\\n').encode())\n"
        "        return [1.0] * len(X)\n",
        ns,
    )
    return cloudpickle.dumps(ns["Printer"](text))


def code_model(body: str) -> bytes:
    """A cloudpickled model whose predict runs ``body`` (with ``X`` bound), then returns zeros."""
    ns: dict[str, Any] = {"__name__": "__main__"}
    src = "class M:\n    def predict(self, X):\n" + "".join(
        f"        {line}\n" for line in body.splitlines()
    ) + "        return [0.0] * len(X)\n"
    exec(src, ns)  # noqa: S102 - building the test fixture
    return cloudpickle.dumps(ns["M"]())


# ------------------------------------------------------------------- skops


def skops_bytes(obj: Any) -> bytes:
    import skops.io as sio

    return sio.dumps(obj)


def s01(marker: Path) -> bytes:
    """A skops zip whose root node is ConstructorFromReduceNode(posix.system, (cmd,))."""
    import skops.io as sio

    base = sio.dumps((1,))
    src = zipfile.ZipFile(io.BytesIO(base))
    schema = json.loads(src.read("schema.json"))
    cmd = touch_cmd(marker)
    schema.update({
        "__class__": "system",
        "__module__": "posix",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
            "content": [{
                "__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                "content": json.dumps(cmd), "is_json": True, "__id__": 2,
            }],
            "__id__": 1,
        },
    })
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            if item.filename == "schema.json":
                dst.writestr("schema.json", json.dumps(schema))
            else:
                dst.writestr(item, src.read(item.filename))
    return out.getvalue()


def patch_version(data: bytes, old: str, new: str) -> bytes:
    """Replace a same-length version string inside pickle bytes (SHORT_BINUNICODE)."""
    assert len(old) == len(new)
    needle = b"\x8c" + bytes([len(old)]) + old.encode()
    assert needle in data
    return data.replace(needle, b"\x8c" + bytes([len(new)]) + new.encode())

