"""Render every screenshot of the README and docs/ with ``mlmanager --screenshot``, on neutral paths.

    python docs/make_screenshots.py                  # all of them, into docs/img/
    python docs/make_screenshots.py --only predict,library --out /tmp/shots

The models and inputs are copied into a temporary home folder (``~/models/iris-classifier``,
``~/data/iris-input.csv``, ``~/tracking/mlruns``...: the bundled demo and the test corpus), and
the app runs there with ``HOME`` (and the XDG folders) pointing at it, offscreen, in the light
theme and with fresh settings, so the pictures show ``~/...`` paths and nothing of the machine
they were made on. Each picture is one ``python -m mlmanager PATH... --screenshot FILE --view
VIEW [--input FILE]`` run, listed in ``SHOTS`` below with the page that shows it. Look at every
PNG after a run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus" / "mlflow-models"
DEMO = REPO / "resources" / "demo"


@dataclass(frozen=True)
class Shot:
    name: str  # docs/img/<name>.png
    paths: tuple[str, ...] = ()  # relative to the temporary home
    view: str | None = None
    input: str | None = None  # relative to the temporary home
    extra: tuple[str, ...] = field(default=())
    used_by: str = ""


SHOTS: tuple[Shot, ...] = (
    Shot("overview", ("models/iris-classifier",), "overview", used_by="README, guide/open-and-browse"),
    Shot("signature", ("models/iris-classifier",), "signature", used_by="README, guide/fix-a-signature"),
    Shot("mlmodel", ("models/iris-classifier",), "mlmodel", used_by="README, guide/open-and-browse"),
    Shot("artifacts", ("models/iris-classifier",), "artifacts", used_by="guide/open-and-browse"),
    Shot("environment", ("models/iris-classifier",), "environment", used_by="guide/open-and-browse"),
    Shot("environment-own", ("models/v2_loans_gbc",), "environment",
         used_by="README, guide/open-and-browse"),
    Shot("deploy", ("models/iris-classifier",), "deploy", used_by="README, guide/deploy"),
    Shot("predict", ("models/iris-classifier",), "predict", "data/iris-input.csv", used_by="README"),
    Shot("guide-predict", ("models/iris-classifier",), "predict", used_by="guide/test-a-prediction"),
    Shot("guide-predict-results", ("models/iris-classifier",), "predict", "data/iris-input.csv",
         used_by="guide/test-a-prediction"),
    Shot("predict-problems", ("models/housing_rf_regressor",), "predict", "data/houses-bad.csv",
         used_by="README"),
    Shot("library", ("models/optional_cols_imputer", "tracking/mlruns"), "overview", used_by="README"),
    Shot("guide-welcome", (), used_by="guide/open-and-browse"),
    Shot("guide-library", ("models",), "overview", used_by="index, guide/open-and-browse"),
    Shot("guide-no-signature", ("models/scaler_logreg_nosig",), "signature", used_by="guide/fix-a-signature"),
)


def make_home(home: Path) -> None:
    """The neutral world the pictures show: a few models, their inputs, a tracking folder."""
    models = home / "models"
    models.mkdir(parents=True)
    shutil.copytree(DEMO / "iris-classifier", models / "iris-classifier")
    for src in sorted(CORPUS.iterdir()):
        if src.is_dir() and (src / "MLmodel").is_file():
            shutil.copytree(src, models / src.name)
    for store in ("mlruns", "sqlite_store"):  # a scanned folder holds tracking stores too
        shutil.copytree(CORPUS / store, models / store)
    (home / "tracking").mkdir()
    shutil.copytree(CORPUS / "mlruns", home / "tracking" / "mlruns")
    data = home / "data"
    data.mkdir()
    shutil.copyfile(DEMO / "iris-input.csv", data / "iris-input.csv")
    shutil.copyfile(CORPUS / "housing_rf_regressor.bad2.csv", data / "houses-bad.csv")
    for p in [home, *home.rglob("*")]:  # the corpus is read-only in a checkout
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o200)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLMANAGER_"))}
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen", MLMANAGER_THEME="light",
        PYTHONPATH=str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
    )
    return env


def render(shot: Shot, home: Path, out: Path, python: str) -> tuple[bool, str]:
    cmd = [python, "-m", "mlmanager", *(str(home / p) for p in shot.paths), "--screenshot",
           str(out / f"{shot.name}.png")]
    if shot.view:
        cmd += ["--view", shot.view]
    if shot.input:
        cmd += ["--input", str(home / shot.input)]
    cmd += list(shot.extra)
    proc = subprocess.run(cmd, cwd=home, env=environment(home), capture_output=True, text=True,
                          timeout=300)
    return proc.returncode == 0, proc.stderr.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated names (default: every shot)")
    parser.add_argument("--out", default=str(REPO / "docs" / "img"), help="folder for the PNGs")
    parser.add_argument("--python", default=sys.executable, help="interpreter with mlmanager installed")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else None
    shots = [s for s in SHOTS if wanted is None or s.name in wanted]
    if wanted and len(shots) != len(wanted):
        parser.error(f"unknown shot(s): {', '.join(sorted(wanted - {s.name for s in shots}))}; "
                     f"known: {', '.join(s.name for s in SHOTS)}")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="mlmanager-shots-") as tmp:
        home = Path(tmp) / "home"
        make_home(home)
        for shot in shots:
            start = time.monotonic()
            ok, err = render(shot, home, out, args.python)
            took = time.monotonic() - start
            print(f"{'ok  ' if ok else 'FAIL'} {shot.name}.png  ({took:.1f} s; {shot.used_by})", flush=True)
            if not ok or err:
                print("     " + (err or "(no output)").replace("\n", "\n     "), flush=True)
            failed += not ok
    print(f"{len(shots) - failed} of {len(shots)} screenshots in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
