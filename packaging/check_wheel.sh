#!/usr/bin/env bash
# Build the wheel, check what is inside, install ONLY that wheel in a fresh venv (dependencies
# from PyPI, pip's cache reused) and run the smoke commands from outside the source tree:
#   mlmanager --version / inspect <demo> / predict <demo> / --demo --screenshot (offscreen)
# Usage: bash packaging/check_wheel.sh            (PYTHON=python3.12 to pick the interpreter)
# Exit 0 when every check passes; the first failure stops the run with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
PY="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH PIP_REQUIRE_VIRTUALENV || true

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mlmanager-wheel.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
SECONDS=0
fail() { echo "check_wheel: FAIL: $*" >&2; exit 1; }
step() { printf '== %-40s (%ss)\n' "$1" "$SECONDS"; }

step "build the wheel"
if "$PY" -c "import build" 2>/dev/null; then
    BUILD_PY="$PY"
else  # `build` is not installed here: a throwaway venv for it
    "$PY" -m venv "$TMP/buildenv"
    "$TMP/buildenv/bin/python" -m pip install -q build >"$TMP/pip-build.log" 2>&1 \
        || { cat "$TMP/pip-build.log" >&2; fail "cannot install build"; }
    BUILD_PY="$TMP/buildenv/bin/python"
fi
"$BUILD_PY" -m build --wheel --outdir "$TMP/dist" "$REPO" >"$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log" >&2; fail "python -m build failed"; }
WHEEL="$(ls "$TMP"/dist/mlmanager-*.whl)"
echo "   $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) KiB)"

step "check the wheel's contents"
"$PY" - "$WHEEL" "$REPO" <<'EOF'
import re, sys, zipfile
from pathlib import Path

wheel, repo = Path(sys.argv[1]), Path(sys.argv[2])
names = set(zipfile.ZipFile(wheel).namelist())
problems = []
version = re.search(r'__version__ = "([^"]+)"', (repo / "mlmanager/__init__.py").read_text()).group(1)
if f"mlmanager-{version}-" not in wheel.name:
    problems.append(f"wheel name {wheel.name} does not carry __version__ {version}")
# every file of resources/ (icons, demo model, styles) is mapped to mlmanager/resources/
for path in sorted((repo / "resources").rglob("*")):
    if path.is_file() and "__pycache__" not in path.parts:
        want = "mlmanager/resources/" + path.relative_to(repo / "resources").as_posix()
        if want not in names:
            problems.append(f"missing {want}")
demo = "mlmanager/resources/demo/iris-classifier/"
for need in ("MLmodel", "model.skops", "requirements.txt", "python_env.yaml", "conda.yaml"):
    if demo + need not in names:
        problems.append(f"demo model file missing: {demo + need}")
for need in ("mlmanager/__init__.py", "mlmanager/cli/entry.py", "mlmanager/worker/__main__.py",
             "mlmanager/resources/icons/app.svg", "mlmanager/resources_path.py"):
    if need not in names:
        problems.append(f"missing {need}")
for name in sorted(names):
    if name.startswith(("tests/", "mlmanager/tests/", "benchmarks/", "docs/", "packaging/")):
        problems.append(f"should not be shipped: {name}")
    if "__pycache__" in name or name.endswith((".pyc", ".pyo")):
        problems.append(f"bytecode shipped: {name}")
entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
text = zipfile.ZipFile(wheel).read(entry_points).decode() if entry_points else ""
for script in ("mlmanager = mlmanager.cli:main", "mlmanager-gui = mlmanager.cli:gui_main"):
    if script not in text:
        problems.append(f"entry point missing: {script}")
if problems:
    sys.exit("check_wheel: FAIL: wheel contents:\n  " + "\n  ".join(problems))
print(f"   {len(names)} files; resources, demo model and entry points present; no tests, no bytecode")
EOF

step "fresh venv + pip install <wheel> only"
"$PY" -m venv "$TMP/venv"
# --no-compile: byte-compiling all of PySide6/pandas/scipy costs a minute; the smoke runs
# below compile (and cache) only the modules they import
"$TMP/venv/bin/python" -m pip install --no-compile "$WHEEL" >"$TMP/pip.log" 2>&1 \
    || { tail -40 "$TMP/pip.log" >&2; fail "pip install of the wheel failed"; }
BIN="$TMP/venv/bin"
mkdir -p "$TMP/run/home"
cd "$TMP/run"  # not the source tree: only the installed wheel is importable
unset PYTHONDONTWRITEBYTECODE
export HOME="$TMP/run/home" XDG_CONFIG_HOME="$TMP/run/home/.config" QT_QPA_PLATFORM=offscreen

step "mlmanager --version"
out="$("$BIN/mlmanager" --version)"
[[ "$out" == "mlmanager $("$BIN/python" -c 'import mlmanager; print(mlmanager.__version__)')" ]] \
    || fail "--version printed: $out"
echo "   $out"

step "resources from the installed wheel"
DEMO="$("$BIN/python" - <<'EOF'
import importlib.metadata as md
import importlib.resources as ir
import sys
from pathlib import Path

import mlmanager
from mlmanager.resources_path import demo_input_path, demo_model_path, icons_dir

site = Path(mlmanager.__file__).resolve().parent
via_ir = ir.files("mlmanager") / "resources" / "demo" / "iris-classifier" / "MLmodel"
assert via_ir.is_file(), f"importlib.resources cannot find {via_ir}"
assert demo_model_path().resolve() == Path(str(via_ir)).resolve().parent, demo_model_path()
assert demo_model_path().resolve().is_relative_to(site), "demo model not from the installed package"
assert (icons_dir() / "app.svg").is_file() and demo_input_path().is_file()
assert md.version("mlmanager") == mlmanager.__version__, (md.version("mlmanager"), mlmanager.__version__)
assert "site-packages" in str(site), site
print(demo_model_path())
EOF
)" || fail "resources not found from the installed wheel"
echo "   $DEMO"

step "mlmanager inspect <demo>"
"$BIN/mlmanager" inspect "$DEMO" >"$TMP/inspect.txt" || fail "inspect exited $?"
grep -q "sklearn" "$TMP/inspect.txt" || { cat "$TMP/inspect.txt"; fail "inspect shows no sklearn flavor"; }
"$BIN/mlmanager" inspect "$DEMO" --json | "$BIN/python" -c "import json,sys; json.load(sys.stdin)" \
    || fail "inspect --json is not JSON"

step "mlmanager predict <demo> (worker)"
"$BIN/mlmanager" predict "$DEMO" --input "$DEMO/../iris-input.csv" --json >"$TMP/predict.json" \
    || { cat "$TMP/predict.json"; fail "predict exited non-zero"; }
"$BIN/python" - "$TMP/predict.json" <<'EOF' || fail "predict output"
import json, sys
result = json.load(open(sys.argv[1]))
preds = result.get("predictions")
assert isinstance(preds, list) and preds, result
print(f"   {len(preds)} predictions")
EOF

step "GUI offscreen: --demo --screenshot"
SHOT="$TMP/run/shot.png"
"$BIN/mlmanager" --demo --screenshot "$SHOT" || fail "the GUI exited non-zero"
"$BIN/python" - "$SHOT" <<'EOF' || fail "screenshot"
import struct, sys
from pathlib import Path

data = Path(sys.argv[1]).read_bytes()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1280, 800), f"screenshot is {width}x{height}, expected 1280x800"
assert len(data) > 20_000, f"screenshot is suspiciously small ({len(data)} bytes)"
print(f"   {width}x{height}, {len(data) // 1024} KiB")
EOF

step "wheel OK"
