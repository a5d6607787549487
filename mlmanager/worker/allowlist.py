"""The default-deny allowlist of globals a SAFE-LISTED pickle may import.

Built at runtime in the worker from the *installed* libraries, so it follows their versions:

* every estimator of ``sklearn.utils.discovery.all_estimators()``;
* curated scikit-learn internals that fitted estimators pickle (``Tree``, the ``_loss`` and
  link classes, ``_BinMapper``, ``TreePredictor``, distance metrics, KD/Ball trees, optimizers,
  kernels, CV splitters, scorers, Cython ``__pyx_unpickle_*``/``newObj`` helpers);
* what numpy, scipy.sparse and pandas themselves emit when pickling sample objects (arrays of
  every dtype, protocol 2-5, masked arrays, random generators, sparse matrices, object-dtype
  indexes and frames), plus numpy scalar types and ufuncs;
* a handful of exact stdlib names (``copyreg._reconstructor``, ``builtins.slice/set/...``).

Anything else is refused by the restricted unpickler. Building takes about a second (it imports
all of scikit-learn), so the result can be cached per environment in a JSON file.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from mlmanager.core.verdict import is_dangerous_global
from mlmanager.worker.scanner import list_pickle_globals
from mlmanager.worker.versions import package_version

_STDLIB = {
    ("copyreg", "_reconstructor"),
    ("builtins", "slice"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "complex"), ("builtins", "object"), ("builtins", "list"),
    ("builtins", "dict"), ("builtins", "tuple"), ("builtins", "int"), ("builtins", "float"),
    ("builtins", "str"), ("builtins", "bytes"), ("builtins", "bool"), ("builtins", "range"),
    ("_codecs", "encode"),
    ("collections", "OrderedDict"), ("collections", "defaultdict"), ("collections", "deque"),
    ("collections", "Counter"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"),
    ("datetime", "timedelta"), ("datetime", "timezone"),
}
# Never allowed even if a library's own pickles use them (m10: bytearray(8 GiB) is a memory bomb).
_NEVER = {("builtins", "bytearray"), ("__builtin__", "bytearray")}

_NUMPY_EXACT = [
    (mod, name)
    for base in ("numpy._core", "numpy.core")
    for mod, name in (
        (f"{base}.multiarray", "_reconstruct"),
        (f"{base}.multiarray", "scalar"),
        (f"{base}.numeric", "_frombuffer"),
        (f"{base}._multiarray_umath", "_reconstruct"),
        (f"{base}._multiarray_umath", "scalar"),
    )
] + [("numpy", "dtype"), ("numpy", "ndarray"), ("numpy.ma.core", "_mareconstruct"),
     ("numpy.ma.core", "MaskedArray"), ("numpy.ma", "MaskedArray"),
     ("numpy.random._pickle", "__randomstate_ctor"),
     ("numpy.random._pickle", "__bit_generator_ctor"),
     ("numpy.random._pickle", "__generator_ctor")]

# scikit-learn internals, by module: names, or a predicate over the module's classes.
_SKLEARN_INTERNAL_NAMES = {
    "sklearn.tree._tree": ["Tree"],
    "sklearn.ensemble._hist_gradient_boosting.binning": ["_BinMapper"],
    "sklearn.ensemble._hist_gradient_boosting.predictor": ["TreePredictor"],
    "sklearn.utils._bunch": ["Bunch"],
    "sklearn.neural_network._stochastic_optimizers": ["SGDOptimizer", "AdamOptimizer"],
    "sklearn.neighbors._kd_tree": ["KDTree", "KDTree64", "KDTree32"],
    "sklearn.neighbors._ball_tree": ["BallTree", "BallTree64", "BallTree32"],
    "sklearn.metrics._scorer": ["_Scorer", "_PassthroughScorer", "_MultimetricScorer",
                                "_BaseScorer", "_ProbaScorer", "_ThresholdScorer",
                                "_PredictScorer"],
    "sklearn.compose._column_transformer": ["_RemainderColsList"],
    "sklearn.multiclass": ["_ConstantPredictor"],
    "sklearn.calibration": ["_CalibratedClassifier"],
    "sklearn.cluster._bisect_k_means": ["_BisectingTree"],
    "sklearn.utils._metadata_requests": ["MetadataRequest", "MethodMetadataRequest",
                                         "MetadataRouter", "MethodMapping", "MethodPair",
                                         "RouterMappingPair"],
}
# Modules whose public classes (defined there) are all data holders fitted models keep.
_SKLEARN_INTERNAL_MODULES = [
    "sklearn._loss.loss", "sklearn._loss._loss", "sklearn._loss.link",
    "sklearn.metrics._dist_metrics", "sklearn.gaussian_process.kernels",
    "sklearn.model_selection._split", "sklearn.linear_model._sgd_fast",
]
_EXCLUDED_PARTS = ("tests", "externals", "_testing", "conftest", "_build_utils", "__check_build")


class Allowlist:
    """A set of ``(module, name)`` plus two narrow rules for Cython pickle helpers in sklearn."""

    def __init__(self, exact: Iterable[tuple[str, str]]) -> None:
        self.exact = frozenset(
            (m, n) for m, n in exact if (m, n) not in _NEVER and not is_dangerous_global(m, n)
        )

    def __contains__(self, item: object) -> bool:
        if not (isinstance(item, tuple) and len(item) == 2):
            return False
        module, name = item
        if not (isinstance(module, str) and isinstance(name, str)):
            return False
        if (module, name) in self.exact:
            return True
        return (
            module.startswith("sklearn.")
            and "." not in name
            and (name == "newObj" or name.startswith("__pyx_unpickle_"))
            and not any(part in _EXCLUDED_PARTS for part in module.split("."))
            and name.isidentifier()
        )

    def __len__(self) -> int:
        return len(self.exact)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(sorted(self.exact))


def _qual(cls: type) -> tuple[str, str]:
    return cls.__module__, cls.__qualname__


def _sklearn_names() -> set[tuple[str, str]]:
    try:
        from sklearn.utils.discovery import all_estimators  # scikit-learn >= 1.0
    except ImportError:
        from sklearn.utils import all_estimators  # 0.22 - 0.24

    names = {_qual(cls) for _, cls in all_estimators()}
    for module_name, wanted in _SKLEARN_INTERNAL_NAMES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in wanted:
            obj = getattr(module, name, None)
            if isinstance(obj, type):
                names.add((module_name, name))
                names.add(_qual(obj))
    for module_name in _SKLEARN_INTERNAL_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, obj in vars(module).items():
            if isinstance(obj, type) and getattr(obj, "__module__", "") == module_name:
                names.add((module_name, name))
    # public metric functions, referenced by scorers inside GridSearchCV & co.
    with contextlib.suppress(ImportError):
        import sklearn.metrics as metrics

        for name in getattr(metrics, "__all__", []):
            obj = getattr(metrics, name, None)
            if inspect.isfunction(obj) and obj.__module__.startswith("sklearn.metrics"):
                names.add(_qual(obj))
    return names


def _globals_of(obj: object, protocols: Iterable[int] = (2, 3, 4, 5)) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for proto in protocols:
        try:
            data = pickle.dumps(obj, protocol=proto)
        except Exception:
            continue
        found |= list_pickle_globals(data).globals
    return found


def _numpy_names() -> set[tuple[str, str]]:
    try:
        import numpy as np
    except ImportError:
        return set()
    names = set(_NUMPY_EXACT)
    for value in set(np.sctypeDict.values()):
        names.add(("numpy", value.__name__))
        names.add(_qual(value))
    for name in dir(np):
        obj = getattr(np, name, None)
        if isinstance(obj, np.ufunc):
            names.add(("numpy", obj.__name__))
        elif isinstance(obj, type) and issubclass(obj, np.generic):
            names.add(("numpy", name))
    with contextlib.suppress(Exception):
        import numpy.dtypes as dtypes

        for name in dir(dtypes):
            obj = getattr(dtypes, name)
            if isinstance(obj, type):
                names.add(_qual(obj))
    makers = [
        lambda: np.arange(3), lambda: np.zeros((2, 2), dtype="f4"),
        lambda: np.array(["a"], dtype=object), lambda: np.array(["ab"]), lambda: np.array([b"ab"]),
        lambda: np.array([True]), lambda: np.array([1 + 2j]),
        lambda: np.array(["2020-01-01"], dtype="datetime64[ns]"),
        lambda: np.array([1], dtype="timedelta64[s]"),
        lambda: np.zeros(2, dtype=[("a", "<i8"), ("b", "<f8")]), lambda: np.float64(1.0),
        lambda: np.int32(1), lambda: np.bool_(True), lambda: np.str_("x"), lambda: np.dtype("f8"),
        lambda: np.ma.masked_array([1, 2], mask=[0, 1]), lambda: np.random.RandomState(0),
        lambda: np.random.default_rng(0),  # numpy >= 1.17
    ]
    samples: list[object] = []
    for make in makers:  # old numpy lacks some of these: each sample on its own
        with contextlib.suppress(Exception):
            samples.append(make())
    for gen in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"):
        with contextlib.suppress(Exception):
            samples.append(np.random.Generator(getattr(np.random, gen)(0)))
    for sample in samples:
        names |= _globals_of(sample)
    return names


def _scipy_names() -> set[tuple[str, str]]:
    try:
        import numpy as np
        import scipy.sparse as sp
    except ImportError:
        return set()
    names: set[tuple[str, str]] = set()
    for name in dir(sp):
        obj = getattr(sp, name, None)
        if isinstance(obj, type) and (name.endswith("_matrix") or name.endswith("_array")):
            names.add(_qual(obj))
            with contextlib.suppress(Exception):
                names |= _globals_of(obj(np.eye(2)))
    return names


def _pandas_names() -> set[tuple[str, str]]:
    try:
        import numpy as np
        import pandas as pd
    except ImportError:
        return set()
    samples: list[object] = []
    with contextlib.suppress(Exception):
        samples += [
            pd.Index(np.array(["a", "b"], dtype=object), dtype=object), pd.RangeIndex(3),
            pd.Index([1, 2]), pd.Index([1.5, 2.5]),
            pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}),
            pd.Series([1.0, 2.0], name="x"),
            pd.Timestamp("2020-01-01"), pd.Timedelta(1, "s"),
            pd.DatetimeIndex(["2020-01-01"]),
            pd.MultiIndex.from_arrays([[1, 2], [3, 4]]),
        ]
    names: set[tuple[str, str]] = set()
    for sample in samples:
        names |= _globals_of(sample, (4, 5))
    return {g for g in names if g[0].split(".")[0] in ("pandas", "numpy", "builtins", "copyreg")}


def build_allowlist() -> Allowlist:
    """Build the allowlist from the installed libraries (imports all of scikit-learn)."""
    names = set(_STDLIB)
    names |= _numpy_names()
    names |= _scipy_names()
    names |= _pandas_names()
    with contextlib.suppress(ImportError):
        names |= _sklearn_names()
    return Allowlist(names)


def _own_source() -> bytes:
    """This module's source, from a folder or from the worker's zip (its loader reads both)."""
    try:
        return __loader__.get_data(__file__)  # type: ignore[name-defined]
    except (AttributeError, OSError):
        return Path(__file__).read_bytes()


def _env_key() -> str:
    versions = []
    for dist in ("scikit-learn", "numpy", "scipy", "pandas"):
        versions.append(f"{dist}={package_version(dist) or 'none'}")
    source = _own_source()  # a new allowlist recipe is a new cache entry
    raw = "|".join([sys.version, sys.prefix, *versions]).encode() + source
    return hashlib.sha256(raw).hexdigest()[:24]


def load_allowlist(cache_dir: str | os.PathLike[str] | None = None) -> Allowlist:
    """The allowlist, from a per-environment JSON cache when ``cache_dir`` is given."""
    if not cache_dir:
        return build_allowlist()
    path = Path(cache_dir) / f"allowlist-{_env_key()}.json"
    try:
        if path.is_file() and not path.is_symlink() and path.stat().st_size < (8 << 20):
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data.get("names") if isinstance(data, dict) else None
            if isinstance(entries, list) and all(
                isinstance(e, list) and len(e) == 2 and all(isinstance(s, str) for s in e)
                for e in entries
            ):
                return Allowlist((m, n) for m, n in entries)
    except (OSError, ValueError):
        pass
    allow = build_allowlist()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".allowlist-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"names": [list(g) for g in allow]}, fh)
        os.replace(tmp, path)
    return allow
