"""Packaging files stay consistent: desktop entry, AppStream metainfo, MIME type, icons, the
PyInstaller spec, the version's single source, the About report and the frozen-app children.

Fast checks only: the wheel build is ``packaging/check_wheel.sh`` and the bundle build is
``packaging/build_bundle.sh``.
"""

from __future__ import annotations

import configparser
import importlib.metadata
import json
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import mlmanager
from mlmanager import about, frozen

REPO = Path(__file__).resolve().parents[1]
PACKAGING = REPO / "packaging"
LINUX = PACKAGING / "linux"
APP_ID = "io.github.mlmanager.MLManager"
MIME_TYPE = "application/x-mlflow-mlmodel"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
FDO_MIME = "{http://www.freedesktop.org/standards/shared-mime-info}"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign] - keys are case-sensitive
    parser.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


# --- desktop entry, MIME type, metainfo ------------------------------------------------------


def test_desktop_entry_keys() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "mlmanager"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    exec_line = entry["Exec"].split()
    assert exec_line[0] == "mlmanager" and exec_line[-1] == "%F"  # files and folders, many at once
    assert entry["TryExec"] == "mlmanager"
    mime_types = entry["MimeType"].rstrip(";").split(";")
    assert MIME_TYPE in mime_types and "application/zip" in mime_types
    for key in ("Categories", "Keywords", "MimeType"):
        assert entry[key].endswith(";"), f"{key} lists must end with ';'"
    assert "Development" in entry["Categories"].split(";")


def test_mime_type_globs_mlmodel_files() -> None:
    root = ET.parse(LINUX / "mlmanager-mime.xml").getroot()
    assert root.tag == f"{FDO_MIME}mime-info"
    (mime,) = root.findall(f"{FDO_MIME}mime-type")
    assert mime.get("type") == MIME_TYPE
    globs = [(g.get("pattern"), g.get("case-sensitive")) for g in mime.findall(f"{FDO_MIME}glob")]
    assert globs == [("MLmodel", "true")]
    assert mime.find(f"{FDO_MIME}sub-class-of").get("type") in ("application/x-yaml", "application/yaml")


def test_metainfo_is_well_formed_with_the_app_id() -> None:
    root = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.find("launchable").get("type") == "desktop-id"
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "MIT"
    assert root.findtext("provides/binary") == "mlmanager"
    assert root.findtext("provides/mediatype") == MIME_TYPE
    releases = [r.get("version") for r in root.findall("releases/release")]
    assert releases and releases[0] == mlmanager.__version__, "newest release first = __version__"
    assert root.findtext("summary") and len(root.findtext("summary")) < 80


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_metainfo_passes_appstreamcli() -> None:
    proc = subprocess.run(["appstreamcli", "validate", "--no-net", str(LINUX / f"{APP_ID}.metainfo.xml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    proc = subprocess.run(["desktop-file-validate", str(LINUX / f"{APP_ID}.desktop")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- icons -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ICON_SIZES)
def test_icon_png_in_every_size(size: int) -> None:
    path = LINUX / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (size, size)


def test_scalable_icon_is_the_app_svg() -> None:
    scalable = LINUX / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert scalable.read_bytes() == (REPO / "resources" / "icons" / "app.svg").read_bytes()


# --- PyInstaller spec and scripts -------------------------------------------------------------


def test_spec_is_python_and_keeps_unused_qt_out() -> None:
    text = (PACKAGING / "mlmanager.spec").read_text(encoding="utf-8")
    compile(text, "mlmanager.spec", "exec")
    for name in ("QtWebEngineCore", "QtWebEngineWidgets", "QtQml", "QtQuick", "Qt3DCore",
                 "QtMultimedia", "QtCharts", "QtNetwork", "tkinter"):
        assert f'"{name}"' in text, f"{name} should be excluded"
    assert '"resources"' in text and '"mlmanager/resources"' in text
    assert "pyi_rth_mlmanager.py" in text and "mlmanager_entry.py" in text
    assert 'module_collection_mode={"mlmanager": "py"}' in text
    for used in ("QtCore", "QtGui", "QtWidgets"):
        assert f'"{used}"' not in text, f"{used} is used by the app and must not be excluded"


@pytest.mark.parametrize("script", ["check_wheel.sh", "build_bundle.sh", "linux/install-desktop.sh"])
def test_shell_scripts_parse(script: str) -> None:
    proc = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --- version: one source of truth -------------------------------------------------------------


def test_version_single_source() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert "version" not in pyproject["project"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "mlmanager/__init__.py"
    try:
        installed = importlib.metadata.version("mlmanager")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("mlmanager is not installed (pip install -e .)")
    assert installed == mlmanager.__version__, "reinstall: the metadata is older than __version__"


def test_changelog_has_the_current_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Keep a Changelog" in text
    assert f"## [{mlmanager.__version__}]" in text or "## [Unreleased]" in text


# --- about ------------------------------------------------------------------------------------


def test_about_info_fields() -> None:
    info = about.about_info()
    assert info["mlmanager"] == mlmanager.__version__
    assert info["python"] == ".".join(map(str, sys.version_info[:3]))
    assert info["executable"] == sys.executable
    assert info["frozen"] is False
    assert set(info["packages"]) == set(about.PACKAGES)
    assert info["packages"]["scikit-learn"] == importlib.metadata.version("scikit-learn")
    assert info["packages"]["pandas"] == importlib.metadata.version("pandas")
    worker = info["worker"]
    assert worker["this_interpreter"] and worker["executable"] == sys.executable and not worker["error"]
    text = about.format_about(info)
    assert text.splitlines()[0] == f"mlmanager {mlmanager.__version__}"
    assert f"scikit-learn {info['packages']['scikit-learn']}" in text
    assert "Predictions run in this interpreter" in text


def test_about_reports_an_unusable_worker_interpreter(tmp_path: Path) -> None:
    info = about.about_info(worker_python=tmp_path / "no-python")
    assert info["worker"]["this_interpreter"] is False
    assert "cannot run" in info["worker"]["error"]
    assert "could not ask it" in about.format_about(info)


def test_about_stays_light() -> None:
    code = ("import sys, mlmanager.about as a; a.about_text(); "
            "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'PySide6', 'scipy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# --- frozen-app children ----------------------------------------------------------------------


def test_child_argv_outside_a_bundle_is_none() -> None:
    assert frozen.child_argv(frozen.WORKER) is None
    assert frozen.child_argv(frozen.INPUT_HELPER, sys.executable) is None
    with pytest.raises(ValueError):
        frozen.child_argv("mlmanager.cli")


def test_child_argv_in_a_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert frozen.child_argv(frozen.WORKER) == [sys.executable, "--mlmanager-worker"]
    assert frozen.child_argv(frozen.INPUT_HELPER, sys.executable) == [sys.executable, "--mlmanager-input-helper"]
    other = tmp_path / "python3"
    other.write_text("")
    assert frozen.child_argv(frozen.WORKER, other) is None  # --python: the usual bootstrap
    assert frozen.requested_child(["app", "--mlmanager-worker", "--fds", "3,4"]) == frozen.WORKER
    assert frozen.requested_child(["app", "model-dir"]) is None


def test_child_flags_do_nothing_outside_a_bundle() -> None:
    frozen.run_child_if_requested(["mlmanager", "--mlmanager-worker"])  # returns: not frozen


@pytest.fixture
def bundle_stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the bundle's executable: it dispatches the hidden child flags exactly as
    the runtime hook does. ``sys.frozen``/``sys.executable`` point at it for the test."""
    app = tmp_path / "mlmanager-app"
    app.write_text(
        "#!/bin/sh\n"
        f'exec "{sys.executable}" -c "import sys; sys.frozen = True; '
        "from mlmanager.frozen import run_child_if_requested; run_child_if_requested(); "
        "sys.exit('not started as a child')\" \"$@\"\n")
    app.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    return app


def test_worker_runs_through_the_frozen_entry(bundle_stand_in: Path, tmp_path: Path) -> None:
    """WorkerClient starts the worker through the app's hidden flag (fds, limits, hello)."""
    from mlmanager.core.safety import SAFE_LISTED
    from mlmanager.predict.worker_client import WorkerClient

    model = tmp_path / "model"
    model.mkdir()
    (model / "model.pkl").write_bytes(b"\x80\x04]\x94(K\x01K\x02e.")  # pickle of [1, 2]
    (model / "MLmodel").write_text(
        "flavors:\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n"
        "    sklearn_version: 1.5.0\n", encoding="utf-8")
    with WorkerClient(cache_dir=tmp_path / "cache", timeout=60) as client:
        report = client.scan(model)
        hello = client.worker_info
    assert report.classification == SAFE_LISTED
    assert hello is not None and hello["limits"]["enforced"] is True
    assert hello["executable"] != str(bundle_stand_in)  # the stand-in exec'd the real interpreter


def test_input_helper_runs_through_the_frozen_entry(bundle_stand_in: Path) -> None:
    argv = frozen.child_argv(frozen.INPUT_HELPER)
    assert argv == [str(bundle_stand_in), "--mlmanager-input-helper"]
    proc = subprocess.run(argv, input=b'{"id": 7, "op": "ping", "args": {}}\n', capture_output=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    reply = json.loads(proc.stdout.decode().splitlines()[0])
    assert reply["id"] == 7 and reply["ok"] is True, reply
