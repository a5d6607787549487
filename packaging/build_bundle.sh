#!/usr/bin/env bash
# Build the one-folder desktop app with PyInstaller, then check that it works on its own:
#   bash packaging/build_bundle.sh [OUTDIR]        -> OUTDIR/mlmanager/mlmanager (default OUTDIR: dist)
# Environment:
#   PYTHON=python3.12      interpreter for the build venv (the bundle carries this Python)
#   BUNDLE_VENV=DIR        keep/reuse the build venv there (faster re-runs)
#   BUNDLE_EXTRAS=parquet  extras to bundle (parquet adds pyarrow, ~+120 MB)
# Checks (run outside the source tree, with an empty environment): --version, inspect on the
# bundled demo, the GUI offscreen rendering the demo to a 1280x800 PNG, and a prediction by the
# worker started from the bundle. Prints the bundle size and start-up times.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
OUT="$(mkdir -p "${1:-dist}" && cd "${1:-dist}" && pwd)"
PY="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PYTHONPATH PYTHONHOME || true

TMP="$(mktemp -d "${TMPDIR:-/tmp}/mlmanager-bundle.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
SECONDS=0
fail() { echo "build_bundle: FAIL: $*" >&2; exit 1; }
step() { printf '== %-44s (%ss)\n' "$1" "$SECONDS"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

step "build venv (mlmanager + pyinstaller)"
VENV="${BUNDLE_VENV:-$TMP/venv}"
SPEC="$REPO${BUNDLE_EXTRAS:+[$BUNDLE_EXTRAS]}"
if [[ ! -x "$VENV/bin/pyinstaller" ]]; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --no-compile "$SPEC" "pyinstaller>=6.10" >"$TMP/pip.log" 2>&1 \
        || { tail -40 "$TMP/pip.log" >&2; fail "pip install failed"; }
else  # reuse: refresh mlmanager itself (its metadata is copied into the bundle)
    "$VENV/bin/python" -m pip install --no-compile --no-deps --force-reinstall "$REPO" \
        >"$TMP/pip.log" 2>&1 || { tail -40 "$TMP/pip.log" >&2; fail "pip install failed"; }
fi
echo "   PyInstaller $("$VENV/bin/pyinstaller" --version), $("$VENV/bin/python" --version)"

step "the X11 libraries Qt's xcb plugin needs (the bundle carries them)"
# PyInstaller copies the plugin's libraries from this machine: they must be here to be bundled
"$VENV/bin/python" - <<'EOF' || fail "install the libraries above on the build machine first"
from mlmanager import display_check as dc

missing = dc.missing_libraries(dc.plugin_dir({}), "xcb")
if missing:
    raise SystemExit(dc.missing_libraries_text(missing))
print("   all present")
EOF

step "pyinstaller packaging/mlmanager.spec"
start="$(now)"
rm -rf "$OUT/mlmanager"
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$OUT" --workpath "$TMP/build" \
    packaging/mlmanager.spec >"$TMP/pyinstaller.log" 2>&1 \
    || { tail -60 "$TMP/pyinstaller.log" >&2; fail "pyinstaller failed"; }
echo "   built in $(since "$start") s"
B="$OUT/mlmanager"
EXE="$B/mlmanager"
DEMO="$B/_internal/mlmanager/resources/demo"
[[ -x "$EXE" ]] || fail "no executable at $EXE"

step "bundle contents"
QT="$B/_internal/PySide6/Qt"
for need in plugins/platforms/libqxcb.so plugins/platforms/libqoffscreen.so \
            plugins/platforms/libqwayland.so plugins/imageformats/libqsvg.so \
            plugins/iconengines/libqsvgicon.so; do
    [[ -f "$QT/$need" ]] || fail "missing Qt plugin $need"
done
unwanted="$(find "$B" \( -name '*WebEngine*' -o -name '*Qt6Qml*' -o -name '*Qt6Quick*' -o -name 'Qt3D*' \
            -o -name '*Qt63D*' -o -name 'QtQml*' -o -name 'QtNetwork*' -o -name '*Qt6Multimedia*' \) | head -5)"
[[ -z "$unwanted" ]] || fail "unused Qt modules were bundled: $unwanted"
[[ -f "$DEMO/iris-classifier/MLmodel" && -f "$B/_internal/mlmanager/resources/icons/app.svg" ]] \
    || fail "resources missing from the bundle"
[[ ! -e "$B/_internal/mlflow" ]] || fail "mlflow should not be bundled"

# the xcb plugin's libraries travel with the app (libxcb, libX11 and libGL are the desktop's own)
"$VENV/bin/python" - "$QT" "$B/_internal" <<'EOF' || fail "the bundle lacks libraries Qt's xcb plugin needs"
import sys
from pathlib import Path

from mlmanager import display_check as dc

qt, internal = Path(sys.argv[1]), Path(sys.argv[2])
system = dc.needed_system_libraries(qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib")
carried = [s for s in system if s.startswith(("libxcb-", "libxkbcommon", "libX11-xcb"))
           and not s.startswith("libxcb-dri")]
bundled = {p.name for p in internal.rglob("*.so*")}
absent = [s for s in carried if s not in bundled]
if absent:
    raise SystemExit(f"not bundled: {', '.join(absent)}")
print(f"   bundled for the xcb plugin: {', '.join(carried)}")
EOF

mkdir -p "$TMP/run/home"
cd "$TMP/run"
# an empty environment: nothing from this shell's Python setup can help the bundle
run() { env -i PATH=/usr/bin:/bin HOME="$TMP/run/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@"; }

step "mlmanager --version"
best=""
for _ in 1 2 3; do
    start="$(now)"
    out="$(run "$EXE" --version)" || fail "--version exited non-zero"
    t="$(since "$start")"
    best="$(awk -v a="${best:-999}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')"
done
[[ "$out" == "mlmanager $(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$REPO/mlmanager/__init__.py")" ]] \
    || fail "--version printed: $out"
echo "   $out; process start to exit: ${best} s (best of 3)"
T_VERSION="$best"

step "mlmanager inspect <bundled demo>"
run "$EXE" inspect "$DEMO/iris-classifier" >"$TMP/inspect.txt" || { cat "$TMP/inspect.txt"; fail "inspect"; }
grep -q "scikit-learn==.*\[ok\]\|\[ok\] scikit-learn" "$TMP/inspect.txt" \
    || { cat "$TMP/inspect.txt"; fail "the bundled scikit-learn is not seen by the environment check"; }

step "GUI offscreen: --demo --screenshot"
best=""
for i in 1 2 3; do
    start="$(now)"
    run "$EXE" --demo --screenshot "$TMP/run/shot$i.png" || fail "the GUI exited non-zero"
    t="$(since "$start")"
    best="$(awk -v a="${best:-999}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')"
done
T_GUI="$best"
"$PY" - "$TMP/run/shot1.png" <<'EOF' || fail "screenshot"
import struct, sys
from pathlib import Path

data = Path(sys.argv[1]).read_bytes()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert (width, height) == (1280, 800), f"screenshot is {width}x{height}, expected 1280x800"
assert len(data) > 20_000, f"screenshot is suspiciously small ({len(data)} bytes)"
print(f"   {width}x{height}, {len(data) // 1024} KiB")
EOF
cp "$TMP/run/shot1.png" "$OUT/mlmanager-bundle-screenshot.png"
echo "   start to rendered demo model: ${T_GUI} s (best of 3); saved $OUT/mlmanager-bundle-screenshot.png"

step "no display: a message, not Qt's abort"
set +e
env -i PATH=/usr/bin:/bin HOME="$TMP/run/home" LANG=C.UTF-8 QT_QPA_PLATFORM=xcb DISPLAY=:987 \
    "$EXE" --demo >"$TMP/nodisplay.txt" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "cannot open a window here" "$TMP/nodisplay.txt" \
    || { cat "$TMP/nodisplay.txt"; fail "without a display the bundle exited $rc"; }
echo "   exit 2: $(sed -n 2p "$TMP/nodisplay.txt")"
if command -v Xvfb >/dev/null; then
    mkfifo "$TMP/displayfd"
    Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$TMP/displayfd" 2>/dev/null &
    XVFB_PID=$!
    read -r NUMBER <"$TMP/displayfd"
    env -i PATH=/usr/bin:/bin HOME="$TMP/run/home" LANG=C.UTF-8 QT_QPA_PLATFORM=xcb DISPLAY=":$NUMBER" \
        "$EXE" --demo --screenshot "$TMP/run/xcb.png" || { kill "$XVFB_PID"; fail "the bundle on X11 (Xvfb)"; }
    kill "$XVFB_PID"; wait "$XVFB_PID" 2>/dev/null || true
    echo "   on X11 (Xvfb :$NUMBER, xcb): the demo rendered"
fi

step "bundled worker: fds, rlimits, no Qt"
# start the worker exactly as WorkerClient does from a frozen app, read its hello, look at it
"$PY" - "$EXE" "$TMP/run/home" <<'EOF' || fail "the bundled worker"
import json, os, subprocess, sys

exe, home = sys.argv[1], sys.argv[2]
limit = 3 << 30
cmd_r, cmd_w = os.pipe()
evt_r, evt_w = os.pipe()
proc = subprocess.Popen(
    [exe, "--mlmanager-worker", "--limits",
     json.dumps({"address_space": limit, "cpu_seconds": 600, "file_size": 1 << 30, "core": 0}),
     "--cache-dir", os.path.join(home, "cache"), "--fds", f"{cmd_r},{evt_w}"],
    pass_fds=(cmd_r, evt_w), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
    stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin", "HOME": home}, cwd=home,
    start_new_session=True)
os.close(cmd_r)
os.close(evt_w)
try:
    with os.fdopen(evt_r, "rb") as events:
        hello = json.loads(events.readline())
        assert hello["type"] == "hello", hello
        data = hello["data"]
        assert os.path.samefile(data["executable"], exe), data
        assert data["limits"].get("enforced") and data["limits"]["address_space"] == limit, data
        with open(f"/proc/{proc.pid}/limits") as fh:
            line = next(x for x in fh if x.startswith("Max address space"))
        assert line.split()[3] == line.split()[4] == str(limit), line  # soft == hard == asked
        with open(f"/proc/{proc.pid}/maps") as fh:
            qt = sorted({x.split()[-1] for x in fh if "libQt6" in x or "PySide6" in x})
        assert not qt, f"the worker loaded Qt: {qt}"
        os.close(cmd_w)  # EOF on the command channel: the worker exits
        cmd_w = -1
        assert proc.wait(timeout=30) == 0, proc.returncode
finally:
    if cmd_w >= 0:
        os.close(cmd_w)
    if proc.poll() is None:
        proc.kill()
print(f"   hello from pid {data['pid']}: Python {data['python']}, address space {limit >> 30} GiB "
      "(soft = hard), no Qt loaded")
EOF

step "predict with the bundled worker"
start="$(now)"
run "$EXE" predict "$DEMO/iris-classifier" --input "$DEMO/iris-input.csv" --json >"$TMP/predict.json" \
    || { cat "$TMP/predict.json"; fail "predict exited non-zero"; }
T_PREDICT="$(since "$start")"
"$PY" - "$TMP/predict.json" "$DEMO/iris-input.csv" <<'EOF' || fail "predict output"
import csv, json, sys

result = json.load(open(sys.argv[1]))
rows = sum(1 for _ in csv.reader(open(sys.argv[2]))) - 1  # the demo input's rows (header aside)
preds = result.get("predictions")
assert isinstance(preds, list) and len(preds) == rows, (rows, result)
assert result["safety"]["classification"] == "SAFE-LISTED", result["safety"]
print(f"   {len(preds)} predictions")
EOF
echo "   cold predict (worker start + sklearn import + load + predict): ${T_PREDICT} s"

SIZE_MB="$(du -sm "$B" | cut -f1)"
FILES="$(find "$B" -type f | wc -l)"
step "bundle OK"
cat <<EOF
   bundle:          $B
   size:            ${SIZE_MB} MiB in ${FILES} files (du -sm)
   --version:       ${T_VERSION} s
   GUI start+demo:  ${T_GUI} s (offscreen, until the demo model is loaded and rendered)
   cold predict:    ${T_PREDICT} s
EOF
