"""Safety verdicts on model files: the classes, the report and the load decision.

Pure, stdlib-only logic that runs on both sides: the worker classifies what its opcode walk
found (it carries this module into the model's own interpreter, Python 3.7 and later: keep it
stdlib-only and free of newer syntax or library calls), and the app reads the reports back.
Nothing here unpickles or imports model code. The trust store is in :mod:`mlmanager.core.safety`.

Classes, from worst to best (see docs/security.md §6):

* ``UNPARSEABLE`` - not a valid pickle, truncated, or a payload followed by a corrupt tail.
* ``KNOWN-DANGEROUS`` - imports a known code-execution gadget (``posix.system``, ``builtins.exec``...).
* ``CONTAINS-CODE`` - cloudpickle function/class machinery: the file carries Python code.
* ``UNTRUSTED-IMPORTS`` - imports outside the app's allowlist.
* ``SAFE-LISTED`` - every import is on the allowlist; loaded through the restricted unpickler.
"""

from __future__ import annotations

import _compat_pickle
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SAFE_LISTED = "SAFE-LISTED"
CONTAINS_CODE = "CONTAINS-CODE"
UNTRUSTED_IMPORTS = "UNTRUSTED-IMPORTS"
KNOWN_DANGEROUS = "KNOWN-DANGEROUS"
UNPARSEABLE = "UNPARSEABLE"
CLASSIFICATIONS = (SAFE_LISTED, CONTAINS_CODE, UNTRUSTED_IMPORTS, KNOWN_DANGEROUS, UNPARSEABLE)
FORMATS = ("pickle", "skops", "pyfunc")

# Known code-execution gadgets: picklescan 1.0.5's denylist plus a few of our own.
# "*" means every name in the module and in its submodules.
_STAR = "*"
DANGEROUS_GLOBALS: Mapping[str, Any] = {
    "builtins": {
        "eval", "compile", "getattr", "apply", "exec", "open", "breakpoint", "__import__",
        "setattr", "delattr", "globals", "locals", "vars", "input", "memoryview",
    },
    "__builtin__": {"eval", "compile", "getattr", "apply", "exec", "open", "breakpoint",
                    "__import__", "setattr", "delattr", "globals", "locals", "vars", "input"},
    "types": {"CodeType", "FunctionType", "MethodType", "ModuleType"},
    "aiohttp": _STAR, "asyncio": _STAR, "bdb": _STAR, "commands": _STAR, "ctypes": _STAR,
    "_ctypes": _STAR, "functools": {"partial", "partialmethod", "reduce"},
    "httplib": _STAR, "http.client": _STAR, "logging": {"FileHandler"},
    "_io": {"FileIO", "open", "open_code"}, "io": {"FileIO", "open", "open_code"},
    "numpy.f2py": _STAR, "numpy.testing._private.utils": _STAR, "numpy.ctypeslib": _STAR,
    "nt": _STAR, "posix": _STAR, "os": _STAR, "sys": _STAR, "subprocess": _STAR,
    "_posixsubprocess": _STAR, "_winapi": _STAR, "multiprocessing": _STAR,
    "_operator": {"attrgetter", "itemgetter", "methodcaller"},
    "operator": {"attrgetter", "itemgetter", "methodcaller"},
    "requests": _STAR, "runpy": _STAR, "shutil": _STAR, "socket": _STAR, "_socket": _STAR,
    "ssl": _STAR, "code": _STAR, "codeop": _STAR, "cProfile": _STAR,
    "distutils.file_util": _STAR, "doctest": _STAR, "ensurepip": _STAR, "idlelib": _STAR,
    "imaplib": {"IMAP4_stream"}, "lib2to3": _STAR, "pdb": _STAR, "pickle": _STAR,
    "_pickle": _STAR, "cloudpickle": {"load", "loads"}, "cloudpickle.cloudpickle": {"load", "loads"},
    "dill": _STAR, "joblib": {"load"}, "joblib.numpy_pickle": {"load"}, "marshal": _STAR,
    "shelve": _STAR, "pandas": {"read_pickle"}, "pandas.io.pickle": {"read_pickle"},
    "pip": _STAR, "pkgutil": {"resolve_name"}, "pty": _STAR, "profile": _STAR, "pydoc": _STAR,
    "test": _STAR, "timeit": _STAR, "trace": _STAR, "torch.serialization": {"load"},
    "torch._dynamo.guards": _STAR, "torch._inductor.codecache": _STAR,
    "torch.utils.collect_env": _STAR, "torch.jit": _STAR, "torch.hub": _STAR,
    "urllib.request": _STAR, "uuid": _STAR, "venv": _STAR, "webbrowser": _STAR,
    "_osx_support": _STAR, "_aix_support": _STAR, "_pyrepl": _STAR, "_interpreters": _STAR,
    "_xxsubinterpreters": _STAR, "_thread": _STAR, "signal": _STAR, "mlflow.projects": _STAR,
    "mlflow.utils.process": _STAR, "importlib._bootstrap": _STAR,
    "importlib._bootstrap_external": _STAR,
    "numpy": {"load", "save", "savez", "savez_compressed", "savetxt", "fromfile", "loadtxt",
              "genfromtxt", "fromregex", "memmap"},
    "numpy.lib.npyio": _STAR, "numpy.lib._npyio_impl": _STAR, "numpy.lib.format": _STAR,
    "numpy.lib.utils": _STAR, "numpy.distutils": _STAR,
}

# cloudpickle's machinery to rebuild functions and classes by value: the file carries code.
CODE_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    (module, name)
    for module in ("cloudpickle.cloudpickle", "cloudpickle.cloudpickle_fast", "cloudpickle")
    for name in (
        "_builtin_type", "_make_function", "_function_setstate", "_make_cell",
        "_make_empty_cell", "_make_skeleton_class", "_make_skeleton_enum", "_class_setstate",
        "_enum_setstate", "subimport", "dynamic_subimport", "_fill_function",
        "_make_skel_func", "_rehydrate_skeleton_class", "_make__new__factory", "_get_bases",
        "_make_dict_keys", "_make_dict_values", "_make_dict_items", "_make_typevar",
        "instance", "_lookup_module_and_qualname",
    )
) | {("builtins", "type"), ("__builtin__", "type")}

_DUNDER = re.compile(r"^__\w+__$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME_LEN = 512


def normalize_global(module: str, name: str) -> tuple[str, str]:
    """Map protocol 0-2 (Python 2) names to Python 3 ones, as the unpickler's fix_imports does."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _denied(module: str, name: str) -> bool:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        entry = DANGEROUS_GLOBALS.get(".".join(parts[:i]))
        if entry is None:
            continue
        if entry == _STAR:
            return True
        if i == len(parts) and name in entry:
            return True
    return False


_DUNDER_OK = {("copyreg", "__newobj__"), ("copyreg", "__newobj_ex__")}


def is_dangerous_global(module: str, name: str) -> bool:
    """True for a known gadget, an unresolvable ("unknown") import or a dunder attribute walk."""
    if "unknown" in (module, name) or not module or not name:
        return True
    if (module, name) not in _DUNDER_OK and any(
        _DUNDER.match(part) for part in name.split(".")
    ):
        return True
    candidates = {(module, name), normalize_global(module, name)}
    if "." in name:
        # A dotted name is an attribute walk from the module: test every (path, attribute) pair.
        full = module.split(".") + name.split(".")
        for i in range(len(full)):
            for j in range(i + 1, len(full)):
                candidates.add((".".join(full[i:j]), full[j]))
    return any(_denied(m, n) for m, n in candidates)


@dataclass(frozen=True)
class SafetyReport:
    """What the scan found in one model file, and the verdict."""

    classification: str
    format: str = "pickle"
    file: str | None = None
    sha256: str | None = None
    size: int | None = None
    imports: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()
    dangerous: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    scan_error: str | None = None
    scanner: str = ""

    @property
    def needs_trust(self) -> bool:
        return self.classification in (CONTAINS_CODE, UNTRUSTED_IMPORTS)

    @property
    def summary(self) -> str:
        return self.reasons[0] if self.reasons else self.classification

    def to_dict(self) -> dict[str, Any]:
        return {
            "classification": self.classification, "format": self.format, "file": self.file,
            "sha256": self.sha256, "size": self.size, "imports": list(self.imports),
            "untrusted": list(self.untrusted), "dangerous": list(self.dangerous),
            "code": list(self.code), "reasons": list(self.reasons),
            "warnings": list(self.warnings), "scan_error": self.scan_error,
            "scanner": self.scanner,
        }

    @classmethod
    def from_dict(cls, data: Any) -> SafetyReport:
        """Rebuild a report from untrusted JSON, validating every field."""
        if not isinstance(data, dict):
            raise ValueError("safety report must be an object")
        cls_ = data.get("classification")
        if cls_ not in CLASSIFICATIONS:
            raise ValueError(f"unknown classification {str(cls_)[:40]!r}")
        fmt = data.get("format", "pickle")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {str(fmt)[:40]!r}")
        sha = data.get("sha256")
        if sha is not None and not (isinstance(sha, str) and SHA256_RE.match(sha)):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        size = data.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise ValueError("size must be a non-negative integer")

        def strings(key: str, limit: int = 10_000) -> tuple[str, ...]:
            value = data.get(key, [])
            if not isinstance(value, list) or len(value) > limit:
                raise ValueError(f"{key} must be a list of at most {limit} strings")
            if not all(isinstance(v, str) and len(v) <= 4096 for v in value):
                raise ValueError(f"{key} must hold strings")
            return tuple(value)

        def opt_str(key: str) -> str | None:
            value = data.get(key)
            if value is not None and not (isinstance(value, str) and len(value) <= 65536):
                raise ValueError(f"{key} must be a string")
            return value

        return cls(
            classification=cls_, format=fmt, file=opt_str("file"), sha256=sha, size=size,
            imports=strings("imports"), untrusted=strings("untrusted"),
            dangerous=strings("dangerous"), code=strings("code"), reasons=strings("reasons"),
            warnings=strings("warnings"), scan_error=opt_str("scan_error"),
            scanner=opt_str("scanner") or "",
        )


def _dotted(g: tuple[str, str]) -> str:
    return f"{g[0]}.{g[1]}"


def classify_globals(
    globals_: Iterable[tuple[str, str]],
    scan_error: bool | str,
    allowlist: Container[tuple[str, str]],
    *,
    not_a_pickle: bool = False,
    extra_dangerous: Iterable[tuple[str, str]] = (),
    file: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    scanner: str = "",
    warnings: Iterable[str] = (),
) -> SafetyReport:
    """Classify the globals a pickle imports.

    ``scan_error`` is true (or the error text) when the opcode stream did not parse to the end;
    ``not_a_pickle`` when nothing parsed at all. ``extra_dangerous`` lets the caller add another
    scanner's verdicts (picklescan's Dangerous list). ``allowlist`` holds ``(module, name)`` pairs.
    """
    found = {
        (str(m)[:MAX_NAME_LEN], str(n)[:MAX_NAME_LEN]) for m, n in globals_
    }
    extra = {(str(m), str(n)) for m, n in extra_dangerous}
    imports = tuple(sorted({_dotted(g) for g in found}))
    code = sorted(_dotted(g) for g in found if g in CODE_GLOBALS)
    dangerous = sorted(
        _dotted(g)
        for g in found
        if g not in CODE_GLOBALS and (g in extra or is_dangerous_global(*g))
    )
    untrusted = sorted(
        _dotted(g)
        for g in found
        if g not in CODE_GLOBALS
        and _dotted(g) not in dangerous
        and g not in allowlist
        and normalize_global(*g) not in allowlist
    )
    err_text = scan_error if isinstance(scan_error, str) else ("parse error" if scan_error else None)
    common = dict(
        file=file, sha256=sha256, size=size, imports=imports, untrusted=tuple(untrusted),
        dangerous=tuple(dangerous), code=tuple(code), scan_error=err_text, scanner=scanner,
        warnings=tuple(warnings), format="pickle",
    )
    if not_a_pickle or scan_error:
        what = "not a valid pickle" if not_a_pickle and not found else "corrupt or tampered pickle"
        reasons = [f"{what}: {err_text or 'no pickle data'}"]
        if dangerous:
            reasons.append("it also imports dangerous names: " + ", ".join(dangerous))
        return SafetyReport(UNPARSEABLE, reasons=tuple(reasons), **common)
    if dangerous:
        return SafetyReport(
            KNOWN_DANGEROUS,
            reasons=(f"Blocked: dangerous import {', '.join(dangerous)}",),
            **common,
        )
    if code:
        reasons = ["contains Python code (cloudpickled functions or classes): " + ", ".join(code)]
        if untrusted:
            reasons.append("imports outside the allowlist: " + ", ".join(untrusted))
        return SafetyReport(CONTAINS_CODE, reasons=tuple(reasons), **common)
    if untrusted:
        return SafetyReport(
            UNTRUSTED_IMPORTS,
            reasons=("imports outside the allowlist: " + ", ".join(untrusted),),
            **common,
        )
    return SafetyReport(
        SAFE_LISTED, reasons=("every import is on the allowlist",), **common
    )


def classify_skops_types(
    untrusted_types: Iterable[str],
    app_trusted: Iterable[str],
    *,
    mlmodel_trusted: Iterable[str] | None = None,
    parse_error: str | None = None,
    file: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    scanner: str = "skops",
) -> SafetyReport:
    """Classify a skops file from ``skops.io.get_untrusted_types`` (defaults already excluded)."""
    warnings: list[str] = []
    listed = [str(t) for t in (mlmodel_trusted or [])]
    if listed:
        warnings.append(
            "The MLmodel file lists skops_trusted_types ("
            + ", ".join(listed[:20])
            + "): this list is ignored; mlmanager applies its own trusted types."
        )
    types = sorted({str(t)[:MAX_NAME_LEN] for t in untrusted_types})
    common = dict(
        format="skops", file=file, sha256=sha256, size=size, imports=tuple(types),
        scanner=scanner, warnings=tuple(warnings),
    )
    if parse_error is not None:
        return SafetyReport(
            UNPARSEABLE, scan_error=parse_error,
            reasons=(f"not a valid skops file: {parse_error}",), **common,
        )
    app = set(app_trusted)
    remaining = [t for t in types if t not in app]
    dangerous = [t for t in remaining if is_dangerous_global(*_split_type(t))]
    untrusted = [t for t in remaining if t not in dangerous]
    if dangerous:
        return SafetyReport(
            KNOWN_DANGEROUS, dangerous=tuple(dangerous), untrusted=tuple(untrusted),
            reasons=(f"Blocked: dangerous type {', '.join(dangerous)}",), **common,
        )
    if untrusted:
        return SafetyReport(
            UNTRUSTED_IMPORTS, untrusted=tuple(untrusted),
            reasons=("types outside the trusted list: " + ", ".join(untrusted),), **common,
        )
    return SafetyReport(SAFE_LISTED, reasons=("every type is trusted",), **common)


def _split_type(dotted: str) -> tuple[str, str]:
    module, _, name = dotted.rpartition(".")
    return module, name


def may_load(report: SafetyReport, trusted: bool) -> tuple[bool, str]:
    """The load decision: SAFE-LISTED always; code/untrusted only when trusted; never the rest."""
    c = report.classification
    if c == SAFE_LISTED:
        return True, "every import is on the allowlist"
    if c in (CONTAINS_CODE, UNTRUSTED_IMPORTS):
        if trusted:
            return True, "trusted by the user (SHA-256 " + (report.sha256 or "?")[:12] + "...)"
        what = "contains Python code" if c == CONTAINS_CODE else "imports names outside the allowlist"
        detail = ", ".join((report.untrusted + report.code)[:12])
        return False, (
            f"Refused: the model file {what} ({detail}). Trust this exact file "
            f"(SHA-256 {report.sha256}) to run it in the worker."
        )
    if c == KNOWN_DANGEROUS:
        return False, "Blocked: dangerous import " + ", ".join(report.dangerous[:12])
    return False, "Refused: not a valid model file (corrupt or tampered). " + (
        report.scan_error or ""
    ).strip()
