"""The worker's zip: self-contained, stdlib-only at import time, Python 3.7-compatible.

Checked three ways: statically (every import of every shipped module resolves inside the zip
or to the stdlib; no syntax or library call newer than Python 3.7), by importing every shipped
module under each interpreter this machine has (``-I``, the zip alone on the path), and by the
content-addressed file itself (same sources, same bytes; a zip changed on disk is rebuilt).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.interpreters import TEST_PYTHONS, require_interpreter

from mlmanager.predict import worker_bootstrap as wb

#: third-party packages the worker may import inside functions (never at import time)
LAZY_THIRD_PARTY = {
    "numpy", "pandas", "scipy", "sklearn", "skops", "picklescan", "cloudpickle", "joblib",
    "mlflow", "lz4", "importlib_metadata", "pkg_resources",
}
#: attribute or function names that do not exist in Python 3.7
NEWER_THAN_37 = {
    "removeprefix": "str.removeprefix (3.9)", "removesuffix": "str.removesuffix (3.9)",
    "prod": "math.prod (3.8)", "cache": "functools.cache (3.9)",
    "cached_property": "functools.cached_property (3.8)", "is_relative_to": "Path.is_relative_to (3.9)",
    "with_stem": "Path.with_stem (3.9)", "stdlib_module_names": "sys.stdlib_module_names (3.10)",
    "file_digest": "hashlib.file_digest (3.11)", "waitstatus_to_exitcode": "os (3.9)",
    "bit_count": "int.bit_count (3.10)", "pairwise": "itertools.pairwise (3.10)",
    "Literal": "typing.Literal (3.8)", "Protocol": "typing.Protocol (3.8)",
    "TypedDict": "typing.TypedDict (3.8)", "Final": "typing.Final (3.8)",
}
NEWER_KEYWORDS = {"strict": "zip(strict=) (3.10)", "slots": "dataclass(slots=) (3.10)",
                  "kw_only": "dataclass(kw_only=) (3.10)"}


def _modules(files: list[str]) -> list[str]:
    names = []
    for rel in files:
        name = rel[:-3].replace("/", ".")
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        if not name.endswith("__main__"):
            names.append(name)
    return names


def _imports(tree: ast.AST, module: str) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import statement of a module."""
    top = {id(node) for node in getattr(tree, "body", [])}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.rsplit(".", node.level)[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            out.append((name, id(node) in top))
            out += [(f"{name}.{a.name}", id(node) in top) for a in node.names]
    return out


def test_every_import_of_the_zip_resolves_inside_it_or_to_the_stdlib() -> None:
    files = wb.child_files()
    shipped = set(_modules(files)) | {"mlmanager.worker.__main__"}
    root = wb.package_root()
    problems = []
    for rel in files:
        module = _modules([rel])[0] if not rel.endswith("__main__.py") else "mlmanager.worker.__main__"
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        for name, at_top in _imports(tree, module):
            head = name.split(".")[0]
            if head == "mlmanager":
                # `from mlmanager.worker import protocol` names a module or a symbol of one
                if name not in shipped and name.rsplit(".", 1)[0] not in shipped:
                    problems.append(f"{rel}: imports {name}, which the zip does not carry")
            elif head == "__future__" or head in sys.stdlib_module_names or head in LAZY_THIRD_PARTY and not at_top:
                continue
            else:
                problems.append(f"{rel}: imports {name}" + (" at import time" if at_top else ""))
    assert problems == []


def test_no_syntax_or_library_call_newer_than_python_37() -> None:
    root = wb.package_root()
    problems = []
    for rel in wb.child_files():
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.NamedExpr):
                problems.append(f"{where}: ':=' (3.8)")
            elif isinstance(node, ast.Attribute) and node.attr in NEWER_THAN_37:
                problems.append(f"{where}: {NEWER_THAN_37[node.attr]}")
            elif isinstance(node, ast.ImportFrom) and any(a.name in NEWER_THAN_37 for a in node.names):
                problems.append(f"{where}: from {node.module} import {[a.name for a in node.names]}")
            elif isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg in NEWER_KEYWORDS:
                        problems.append(f"{where}: {NEWER_KEYWORDS[kw.arg]}")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.args.posonlyargs:
                problems.append(f"{where}: positional-only parameters (3.8)")
    assert problems == []


def test_no_generic_subscripted_at_run_time() -> None:
    """``Callable[...]`` from collections.abc or ``dict[...]`` evaluated at run time needs 3.9
    (annotations are strings under ``from __future__ import annotations``; assignments such as
    ``ProgressFn = Callable[[float, str], None]`` are evaluated)."""
    root = wb.package_root()
    problems = []
    for rel in wb.child_files():
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        from_abc = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and node.module == "collections.abc" for a in node.names}
        generic = from_abc | {"dict", "list", "tuple", "set", "frozenset", "type"}
        for stmt in ast.walk(tree):
            if not isinstance(stmt, ast.Assign):
                continue
            for node in ast.walk(stmt.value):
                if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                        and node.value.id in generic:
                    problems.append(f"{rel}:{node.lineno}: {node.value.id}[...] at run time (3.9)")
    assert problems == []


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wb.worker_zip(tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("minor", TEST_PYTHONS)
def test_every_shipped_module_imports_under_each_interpreter(minor: str, zip_path: Path) -> None:
    python = require_interpreter(minor)
    names = _modules(wb.child_files())
    code = (
        "import sys, importlib\n"
        "zip_path = sys.argv[1]\n"
        "sys.path.insert(0, zip_path)\n"
        "for name in sys.argv[2:]:\n"
        "    module = importlib.import_module(name)\n"
        "    assert module.__file__.startswith(zip_path), (name, module.__file__)\n"
        "heavy = sorted(m for m in ('numpy', 'pandas', 'sklearn', 'yaml', 'mlflow') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
        "print('ok', sys.version_info[:2])\n"
    )
    done = subprocess.run([str(python), "-I", "-c", code, str(zip_path), *names],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok")


def test_the_zip_is_content_addressed_and_rebuilt_when_changed(tmp_path: Path) -> None:
    first = wb.worker_zip(tmp_path)
    assert wb.build_zip_bytes() == first.read_bytes()  # the same sources give the same bytes
    assert wb.worker_zip(tmp_path) == first
    with zipfile.ZipFile(first) as archive:
        names = set(archive.namelist())
    assert set(wb.CARRIED) <= names
    assert "mlmanager/worker/server.py" in names
    assert not any(n.startswith(("mlmanager/ui/", "mlmanager/cli/", "mlmanager/predict/")) for n in names)
    assert "mlmanager/core/model/yamlio.py" not in names  # PyYAML stays with the parent
    good = first.read_bytes()
    first.write_bytes(good.replace(b"def run(self)", b"def nur(self)"))
    assert wb.worker_zip(tmp_path) == first
    assert first.read_bytes() == good  # tampered: rebuilt before it could run
    assert [p.name for p in (tmp_path / "worker").iterdir()] == [first.name]  # no temp left


def test_a_foreign_interpreter_runs_the_zipped_code_not_its_own_mlmanager(tmp_path: Path) -> None:
    """The zip comes first on the child's path: an mlmanager installed there is never used."""
    from mlmanager.predict.worker_client import WorkerClient

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    site = next(env.glob("lib/python3*/site-packages"))
    (site / "mlmanager" / "worker").mkdir(parents=True)
    (site / "mlmanager" / "__init__.py").write_text("raise SystemExit('the environment mlmanager ran')\n")
    with WorkerClient(env / "bin" / "python", cache_dir=tmp_path / "cache", timeout=60) as client:
        data = client.request("ping", {}, timeout=60, what="ping", clean=lambda d: True)
        assert data["pid"] == client.worker_pid
        assert client.worker_info is not None and client.worker_info["executable"].startswith(str(env))
