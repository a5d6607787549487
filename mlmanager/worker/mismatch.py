"""Load failures in plain words: which versions differ, which package is missing.

A model saved with other library versions fails in many ways ("'OneHotEncoder' object has no
attribute '_drop_idx_after_grouping'", "code() argument 13 must be str", "No module named
'lightgbm'"). The message names the versions ("saved with scikit-learn 1.1.1, running 1.9.0:
...") or the package, and the failure is marked as a *mismatch*: the app then offers to run
the model in its own environment. Stdlib only (runs in the worker, Python 3.7+).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from mlmanager.worker.versions import package_version, python_version

#: top-level module -> the package (distribution) that provides it, where the names differ
MODULE_PACKAGES = {
    "sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "Pillow", "yaml": "PyYAML",
    "dateutil": "python-dateutil", "google": "protobuf", "pkg_resources": "setuptools",
    "skimage": "scikit-image", "sentence_transformers": "sentence-transformers",
    "tensorflow_hub": "tensorflow-hub", "Bio": "biopython", "bs4": "beautifulsoup4",
    "attr": "attrs", "jwt": "PyJWT", "git": "GitPython", "lightfm": "lightfm",
    "importlib_metadata": "importlib-metadata", "typing_extensions": "typing-extensions",
    "sklearn_crfsuite": "sklearn-crfsuite", "pmdarima": "pmdarima", "onnxruntime": "onnxruntime",
}
#: messages that mean "another Python version (or its cloudpickle) wrote this"
_PYTHON_SIGNS = ("code() argument", "code expected at least", "unsupported pickle protocol",
                 "bad marshal data", "bad magic number")
#: messages that mean a compiled package was built against another numpy
_NUMPY_SIGNS = ("numpy.dtype size changed", "numpy.core.multiarray failed to import",
                "module compiled against", "numpy._core", "_ARRAY_API not found")


def package_of(module: str) -> str:
    """The package to install for ``module`` (``sklearn.tree`` -> ``scikit-learn``)."""
    top = module.split(".")[0]
    return MODULE_PACKAGES.get(top, top)


def _minor(version: str | None) -> str:
    return ".".join((version or "").split(".")[:2])


def _differences(saved: dict[str, str]) -> list[tuple[str, str, str]]:
    """(package, saved, running) for every saved version this interpreter does not match."""
    out = []
    for package, version in saved.items():
        if package == "python":
            running = python_version()
            if version and _minor(version) != _minor(running):
                out.append(("Python", version, running))
            continue
        running = package_version(package)
        if version and running and version != running:
            out.append((package, version, running))
        elif version and not running:
            out.append((package, version, "none"))
    return out


def _phrase(diffs: list[tuple[str, str, str]]) -> str:
    parts = []
    for package, saved, running in diffs:
        if running == "none":
            parts.append(f"saved with {package} {saved}, which this Python does not have")
        else:
            parts.append(f"saved with {package} {saved}, running {running}")
    return "; ".join(parts)


def _key(package: str) -> str:
    return package.lower().replace("_", "-").replace(".", "-")


def _culprit(exc: BaseException, versions: dict[str, str]) -> list[tuple[str, str, str]]:
    """The version difference of the library the exception came from: the innermost frame of
    its traceback in a package whose saved version is known and differs here (an old pickle's
    ``'OneHotEncoder' object has no attribute ...`` is raised inside scikit-learn)."""
    known = {_key(p): (p, v) for p, v in versions.items() if p != "python"}
    modules = []
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__")
        if isinstance(name, str):
            modules.append(name.split(".")[0])
        tb = tb.tb_next
    for top in reversed(modules):  # innermost first
        entry = known.get(_key(package_of(top)))
        if entry is not None:
            diff = _differences({entry[0]: entry[1]})
            if diff:
                return diff
    return []


def explain_load_failure(exc: BaseException, saved: dict[str, str],
                         required: dict[str, str] | None = None) -> tuple[str, bool]:
    """(message, is_mismatch) for an exception raised while loading a model or predicting.

    ``saved``: package -> version the model was saved with (MLmodel flavors, ``python``);
    ``required``: package -> version its requirements pin (requirements.txt / conda.yaml), used
    to name the library the exception came from when MLmodel does not give its version.
    """
    text = f"{type(exc).__name__}: {exc}"[:4000]
    if isinstance(exc, ModuleNotFoundError) and getattr(exc, "name", None):
        name = str(exc.name)
        package = package_of(name)
        top = name.split(".")[0]
        have = package_version(package)
        missing = f"No module named '{name}'"
        if have is None and not top.startswith("_") and importlib.util.find_spec(top) is None:
            hint = f" (saved with {package} {saved[package]})" if saved.get(package) else ""
            return (f"{missing}: the model needs the package {package}, which this Python "
                    f"({python_version()}) does not have{hint}.", True)
        # a submodule an installed package no longer has, or a private module of another
        # library version (an old scikit-learn pickle names '_loss'): versions differ
        diffs = _differences(saved)
        if have is not None:
            diffs = [d for d in diffs if d[0] in (package, "Python")] or diffs
        lead = _phrase(diffs) + ": " if diffs else ""
        return (f"{lead}{missing}: the model refers to a module this Python's libraries do not "
                "have (another version of a library saved it).", True)
    lowered = text.lower()
    signs = any(sign in lowered for sign in _PYTHON_SIGNS) or any(
        sign.lower() in lowered for sign in _NUMPY_SIGNS)
    culprit = [] if signs else _culprit(exc, {**(required or {}), **saved})
    if culprit:
        return f"{_phrase(culprit)}: {text}", True
    diffs = _differences(saved)
    if not diffs:
        return text, False
    if any(sign in lowered for sign in _PYTHON_SIGNS):
        python = [d for d in diffs if d[0] == "Python"]
        diffs = python or diffs
    elif any(sign.lower() in lowered for sign in _NUMPY_SIGNS):
        numpy = [d for d in diffs if d[0] == "numpy"]
        diffs = numpy or diffs
    return f"{_phrase(diffs)}: {text}", True


def required_versions(plan: Any) -> dict[str, str]:
    """package -> version pinned by the model's requirements (the plan's ``required_versions``)."""
    out: dict[str, str] = {}
    for entry in getattr(plan, "required_versions", ()) or ():
        package, _, version = entry.partition("==")
        if package and version:
            out[package] = version
    return out


def saved_versions(plan: Any) -> dict[str, str]:
    """package -> version from the plan (its flavors' versions and the Python that saved it)."""
    out: dict[str, str] = {}
    for entry in getattr(plan, "saved_versions", ()) or ():
        package, _, version = entry.partition("==")
        if package and version:
            out[package] = version
    if getattr(plan, "sklearn_version", None):
        out.setdefault("scikit-learn", plan.sklearn_version)
    if getattr(plan, "python_version", None):
        out["python"] = plan.python_version
    return out
