"""The model's Python environment vs. an interpreter's installed packages, in MLflow's terms.

Requirements come from ``requirements.txt`` (as MLflow's loader reads them, ``-r``/``-c``
references resolved inside the model folder), else from ``conda.yaml``'s pip section, else from
``python_env.yaml``. Each is checked as MLflow's ``_check_requirement_satisfied`` does, and the
mismatch message is MLflow's own text.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable

from mlmanager.core.errors import MlmanagerError, ModelReadError
from mlmanager.core.model.artifacts import lexical_escape
from mlmanager.core.model.yamlio import load_yaml_bytes
from mlmanager.core.structs import Struct, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

    from mlmanager.core.model.mlmodel import ModelDocument

MAX_ENV_BYTES = 1 << 20
MAX_REFERENCE_DEPTH = 5
QUERY_TIMEOUT = 30.0
#: MLflow leaves these out of its mismatch warning
IGNORED_IN_MESSAGE = frozenset({"databricks-feature-lookup", "databricks-agents"})
MISMATCH_HEADER = (
    "Detected one or more mismatches between the model's dependencies and the current "
    "Python environment:"
)

# Run with ``python -I -c``: installed distributions + marker environment as JSON, stdlib only.
_QUERY_SCRIPT = r"""
import json, os, platform, sys
try:
    from importlib import metadata
except ImportError:
    metadata = None
dists = {}
if metadata is not None:
    for d in metadata.distributions():
        try:
            name = d.metadata["Name"]
        except Exception:
            name = None
        if name:
            key = name.lower().replace("_", "-").replace(".", "-")
            while "--" in key:
                key = key.replace("--", "-")
            dists.setdefault(key, d.version)
impl = sys.implementation
iv = "{0.major}.{0.minor}.{0.micro}".format(impl.version)
if impl.version.releaselevel != "final":
    iv += impl.version.releaselevel[0] + str(impl.version.serial)
markers = {
    "implementation_name": impl.name,
    "implementation_version": iv,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
print(json.dumps({"python": platform.python_version(), "executable": sys.executable,
                  "dists": dists, "markers": markers}))
"""


class RequirementStatus(Struct):
    name: str | None
    required: str  # the requirement line as written
    installed: str | None = None
    status: str = "ok"  # ok | mismatch | missing | unparseable
    note: str | None = None

    def mlflow_text(self) -> str:
        return f"{self.name} (current: {self.installed or 'uninstalled'}, required: {self.required})"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "required": self.required,
            "installed": self.installed,
            "status": self.status,
        }
        if self.note:
            d["note"] = self.note
        return d


class PythonStatus(Struct):
    required: str | None
    current: str
    status: str  # ok | mismatch | unknown

    def to_dict(self) -> dict[str, Any]:
        return {"required": self.required, "current": self.current, "status": self.status}


class EnvironmentCheck(Struct):
    interpreter: str
    python: PythonStatus
    requirements: list[RequirementStatus] = field(default_factory=list)
    source: str | None = None  # the file the requirements came from
    problems: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> list[RequirementStatus]:
        return [r for r in self.requirements if r.status in ("mismatch", "missing")]

    @property
    def ok(self) -> bool:
        return not self.mismatches and self.python.status != "mismatch"

    @property
    def message(self) -> str | None:
        """MLflow's warning text, or None when every requirement is met."""
        items = [
            r.mlflow_text()
            for r in self.mismatches
            if _normalize(r.name or "") not in IGNORED_IN_MESSAGE
        ]
        if not items:
            return None
        return MISMATCH_HEADER + "\n - " + "\n - ".join(items)

    @property
    def python_message(self) -> str | None:
        """MLflow's Python-version warning, or None."""
        if self.python.required is None:
            return (
                "The specified model does not have a specified Python version. It may be "
                "incompatible with the version of Python that is currently running: "
                f"Python {self.python.current}"
            )
        if self.python.status == "mismatch":
            return (
                f"The version of Python that the model was saved in, `Python {self.python.required}`, "
                f"differs from the version of Python that is currently running, "
                f"`Python {self.python.current}`, and may be incompatible"
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "interpreter": self.interpreter,
            "source": self.source,
            "python": self.python.to_dict(),
            "requirements": [r.to_dict() for r in self.requirements],
            "ok": self.ok,
            "message": self.message,
            "problems": list(self.problems),
        }


# ---------------------------------------------------------------------------------------------
# Parsing the environment files


_NORMALIZE_RE = re.compile(r"[-_.]+")


def _normalize(name: str) -> str:
    """PEP 503 name normalisation (what ``packaging.utils.canonicalize_name`` does)."""
    return _NORMALIZE_RE.sub("-", name).lower()


def _strip_inline_comment(line: str) -> str:
    return line[: line.find(" #")].rstrip() if " #" in line else line


def _join_continued(lines: list[str]) -> list[str]:
    out: list[str] = []
    pending: list[str] = []
    for line in lines:
        if line.endswith("\\"):
            pending.append(line.rstrip("\\"))
        else:
            pending.append(line)
            out.append("".join(pending))
            pending = []
    if pending:
        out.append("".join(pending))
    return out


def parse_requirements_text(
    text: str,
    read_reference: Callable[[str], str] | None = None,
    *,
    problems: list[str] | None = None,
    constraints: list[str] | None = None,
    _depth: int = 0,
) -> list[str]:
    """Requirement lines as MLflow's ``_parse_requirements`` yields them.

    ``read_reference(name)`` returns the text of a ``-r``/``-c`` file (or raises
    MlmanagerError); without it, such lines are dropped. ``constraints``: a list that takes the
    lines of ``-c`` files (which only limit versions); without it they count as requirements,
    as in MLflow's mismatch check.
    """
    lines = [_strip_inline_comment(s.strip()) for s in text.splitlines()]
    out: list[str] = []
    for line in _join_continued(lines):
        if not line or line.startswith("#"):
            continue
        ref = None
        is_constraint = False
        for prefix in ("-r ", "--requirement ", "-c ", "--constraint "):
            if line.startswith(prefix):
                ref = line.split(maxsplit=1)[1].strip()
                is_constraint = prefix in ("-c ", "--constraint ")
        if ref is None:
            out.append(line)
            continue
        if read_reference is None:
            continue
        if _depth >= MAX_REFERENCE_DEPTH:
            if problems is not None:
                problems.append(f"requirement files nested too deeply at {ref}")
            continue
        try:
            sub = read_reference(ref)
        except MlmanagerError as exc:
            if problems is not None:
                problems.append(f"cannot read referenced requirements file {ref}: {exc.message}")
            continue
        target = constraints if (is_constraint and constraints is not None) else out
        target.extend(
            parse_requirements_text(sub, read_reference, problems=problems,
                                    constraints=constraints, _depth=_depth + 1)
        )
    return out


def parse_conda_yaml(raw: bytes, path: str | None = None) -> tuple[str | None, list[str]]:
    """``(python version or None, pip requirement lines)`` of a conda environment file."""
    data = load_yaml_bytes(raw, path, max_bytes=MAX_ENV_BYTES)
    python = None
    pip: list[str] = []
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(deps, list):
        return None, []
    for dep in deps:
        if isinstance(dep, str):
            spec = dep.replace(" ", "")
            if spec.startswith("python") and spec[6:7] in ("=", "<", ">", "~", "!"):
                python = spec[6:].lstrip("=<>~!")
        elif isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            pip.extend(str(x) for x in dep["pip"] if x is not None)
    return python, pip


def parse_python_env_yaml(raw: bytes, path: str | None = None) -> tuple[str | None, list[str], list[str]]:
    """``(python, build_dependencies, dependencies)`` of ``python_env.yaml``."""
    data = load_yaml_bytes(raw, path, max_bytes=MAX_ENV_BYTES)
    if not isinstance(data, dict):
        return None, [], []
    python = data.get("python")

    def strings(v: Any) -> list[str]:
        return [str(x) for x in v if x is not None] if isinstance(v, list) else []

    return (
        None if python is None else str(python),
        strings(data.get("build_dependencies")),
        strings(data.get("dependencies")),
    )


class ModelRequirements(Struct):
    lines: list[str]
    source: str | None
    python: str | None
    problems: list[str]


def env_file_names(doc: ModelDocument) -> dict[str, str]:
    """The model's conda and virtualenv file names (``conda``, ``virtualenv``), as MLmodel says."""
    names = {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    env = doc.pyfunc_env
    if isinstance(env, str):
        names["conda"] = env
    elif isinstance(env, dict):
        for key in ("conda", "virtualenv"):
            if isinstance(env.get(key), str):
                names[key] = env[key]
    return names


def model_requirements(doc: ModelDocument) -> ModelRequirements:
    """Read the model's requirements and Python version from its environment files."""
    source = doc.files
    problems: list[str] = []

    def read(rel: str) -> bytes | None:
        if lexical_escape(rel):
            problems.append(f"environment file path escapes the model folder: {rel}")
            return None
        if not source.exists(rel):
            return None
        try:
            return source.read_bytes(rel, max_bytes=MAX_ENV_BYTES)
        except MlmanagerError as exc:
            problems.append(f"cannot read {rel}: {exc.message}")
            return None

    def read_reference(rel: str) -> str:
        if lexical_escape(rel):
            raise ModelReadError(f"path escapes the model folder: {rel}")
        raw = source.read_bytes(rel, max_bytes=MAX_ENV_BYTES)
        return raw.decode("utf-8", "replace")

    names = env_file_names(doc)
    python = doc.python_version
    conda_python = None
    lines: list[str] | None = None
    src = None

    raw = read("requirements.txt")
    if raw is not None:
        lines = parse_requirements_text(
            raw.decode("utf-8", "replace"), read_reference, problems=problems
        )
        src = "requirements.txt"

    raw = read(names["conda"])
    if raw is not None:
        try:
            conda_python, pip = parse_conda_yaml(raw, names["conda"])
        except MlmanagerError as exc:
            problems.append(f"cannot read {names['conda']}: {exc.message}")
            pip = []
        if lines is None and pip:
            lines = parse_requirements_text("\n".join(pip), read_reference, problems=problems)
            src = names["conda"]

    env_python = None
    raw = read(names["virtualenv"])
    if raw is not None:
        try:
            env_python, _build, deps = parse_python_env_yaml(raw, names["virtualenv"])
        except MlmanagerError as exc:
            problems.append(f"cannot read {names['virtualenv']}: {exc.message}")
            deps = []
        if lines is None and deps:
            lines = parse_requirements_text("\n".join(deps), read_reference, problems=problems)
            src = names["virtualenv"]

    return ModelRequirements(
        lines=lines or [],
        source=src,
        python=python or env_python or conda_python,
        problems=problems,
    )


# ---------------------------------------------------------------------------------------------
# Interpreters


class InterpreterInfo(Struct):
    executable: str
    python: str
    lookup: Callable[[str], str | None]
    markers: dict[str, str] | None = None  # None: this interpreter's own (packaging default)


def _installed_from_dist_info() -> dict[str, str]:
    """Installed distributions of this interpreter from ``*.dist-info`` folder names.

    One ``scandir`` per ``sys.path`` entry instead of ``importlib.metadata`` (which costs tens
    of milliseconds to import and walks ``sys.path`` again for every name); the first entry
    on ``sys.path`` wins, as for imports.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                names = [e.name for e in it]
        except OSError:
            continue
        for folder in names:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            stem = folder.rsplit(".", 1)[0]
            name, sep, version = stem.partition("-")
            if sep and version:
                found.setdefault(_normalize(name), version)
    return found


_INSTALLED: dict[str, str] | None = None


def installed_version(name: str) -> str | None:
    """Version of a distribution installed in this interpreter, or None."""
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = _installed_from_dist_info()
    version = _INSTALLED.get(_normalize(name))
    if version is not None:
        return version
    from importlib import metadata  # rare: eggs, odd layouts

    try:
        return metadata.version(name)
    except Exception:  # noqa: BLE001 - PackageNotFoundError or broken metadata
        return None


def _current_interpreter() -> InterpreterInfo:
    # what platform.python_version() returns ("3.11.7", "3.13.0rc1"), without importing it
    return InterpreterInfo(sys.executable, sys.version.split()[0], installed_version)


_PINNED_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*([A-Za-z0-9.+!_-]+))?\s*$")


def _check_simple_requirement(line: str, interp: InterpreterInfo) -> RequirementStatus | None:
    """Fast path for ``name`` and ``name==version`` lines that need no PEP 440 reasoning."""
    m = _PINNED_RE.match(line)
    if not m:
        return None
    name, wanted = m.group(1), m.group(2)
    installed = interp.lookup(name)
    if installed is None:
        return RequirementStatus(name, line, None, "missing")
    if wanted is None or wanted == installed:
        return RequirementStatus(name, line, installed, "ok")
    return None  # let packaging decide (1.0 == 1.0.0, local versions, dev releases)


def query_interpreter(python_executable: str, timeout: float = QUERY_TIMEOUT) -> InterpreterInfo:
    """Ask another interpreter (``python -I -c``) for its version and installed distributions."""
    import subprocess  # lazily: only when another interpreter is asked

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        proc = subprocess.run(  # noqa: S603 - the user chose this interpreter
            [python_executable, "-I", "-c", _QUERY_SCRIPT],
            capture_output=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelReadError(f"the interpreter did not answer within {timeout:g} s", python_executable) from None
    except OSError as exc:
        raise ModelReadError(f"cannot run the interpreter: {exc.strerror or exc}", python_executable) from None
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise ModelReadError(
            f"the interpreter failed (exit {proc.returncode}): {tail[0][:300]}", python_executable
        )
    try:
        info = json.loads(proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        dists = {str(k): str(v) for k, v in info["dists"].items()}
        version = str(info["python"])
        markers = {str(k): str(v) for k, v in info["markers"].items()}
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        raise ModelReadError("the interpreter gave an unreadable answer", python_executable) from None

    def lookup(name: str) -> str | None:
        return dists.get(_normalize(name))

    return InterpreterInfo(str(info.get("executable") or python_executable), version, lookup, markers)


# ---------------------------------------------------------------------------------------------
# Checking


def check_requirement(line: str, interp: InterpreterInfo) -> RequirementStatus:
    """One requirement line, as MLflow's ``_check_requirement_satisfied``."""
    simple = _check_simple_requirement(line, interp)
    if simple is not None:
        return simple
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    try:
        req = Requirement(line)
    except InvalidRequirement:
        return RequirementStatus(None, line, status="unparseable", note="not a package requirement")
    if req.marker is not None:
        try:
            applies = req.marker.evaluate(interp.markers) if interp.markers else req.marker.evaluate()
        except Exception:  # noqa: BLE001 - unknown marker variables
            applies = True
        if not applies:
            return RequirementStatus(req.name, line, interp.lookup(req.name), "ok",
                                     note="environment marker does not apply")
    installed = interp.lookup(req.name)
    if installed is None:
        return RequirementStatus(req.name, line, None, "missing")
    if req.name.lower() == "mlflow":
        try:
            if Version(installed).is_devrelease:
                return RequirementStatus(req.name, line, installed, "ok")
        except InvalidVersion:
            pass
    if len(req.specifier) > 0:
        try:
            satisfied = req.specifier.contains(installed)
        except Exception:  # noqa: BLE001 - a non-PEP 440 installed version
            satisfied = False
        if not satisfied:
            return RequirementStatus(req.name, line, installed, "mismatch")
    return RequirementStatus(req.name, line, installed, "ok")


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def check_environment(
    doc: ModelDocument, python_executable: str | None = None, timeout: float = QUERY_TIMEOUT
) -> EnvironmentCheck:
    """Compare the model's requirements and Python version with an interpreter.

    ``python_executable`` None: the current interpreter (importlib.metadata, cheap). Otherwise
    that interpreter is queried in a subprocess (ModelReadError if it cannot be run).
    """
    interp = _current_interpreter() if python_executable is None else query_interpreter(
        python_executable, timeout
    )
    reqs = model_requirements(doc)
    if reqs.python is None:
        py = PythonStatus(None, interp.python, "unknown")
    else:
        same = _major_minor(reqs.python) == _major_minor(interp.python)
        py = PythonStatus(reqs.python, interp.python, "ok" if same else "mismatch")
    statuses = [check_requirement(line, interp) for line in reqs.lines]
    return EnvironmentCheck(
        interpreter=interp.executable,
        python=py,
        requirements=statuses,
        source=reqs.source,
        problems=reqs.problems,
    )

