"""``mlmanager env build|show|list|remove|prune``: exit codes, consent, JSON that names the
environment, its interpreter and packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from env_models import write_model

from mlmanager.cli.entry import main

pytestmark = pytest.mark.envbuild


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["env", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_first_build_without_consent_is_refused(tmp_path: Path, capsys) -> None:
    model = write_model(tmp_path / "m", requirements=["six==1.16.0"], build_dependencies=())
    code, out, err = run(capsys, "build", str(model), "--cache", str(tmp_path / "cache"))
    assert code == 2
    assert "installs packages from the package index" in err and "--yes" in err
    assert "six==1.16.0" in err  # what would be installed is shown
    assert not (tmp_path / "cache").exists() or not any(
        p.name.startswith("py") for p in (tmp_path / "cache").iterdir())


def test_build_json_names_environment_interpreter_and_packages(
        sklearn_model: Path, shared_env_cache: Path, capsys) -> None:
    code, out, err = run(capsys, "build", str(sklearn_model), "--yes", "--json", "-q",
                         "--cache", str(shared_env_cache))
    assert code == 0, err
    data = json.loads(out)
    assert data["name"].startswith("py3.10-") and data["state"] == "ready"
    assert Path(data["python"]).is_file() and data["python_version"].startswith("3.10.")
    assert data["packages"]["numpy"] == "1.25.2" and data["strategy"] == "dated"
    assert data["interpreter"]["reason"]
    # a second build reuses it, without asking
    code, out, _ = run(capsys, "build", str(sklearn_model), "--cache", str(shared_env_cache))
    assert code == 0 and "(reused)" in out and "numpy 1.25.2" in out

    code, out, _ = run(capsys, "list", "--json", "--cache", str(shared_env_cache))
    listed = {e["name"]: e for e in json.loads(out)["environments"]}
    assert code == 0 and listed[data["name"]]["packages"]["scikit-learn"] == "1.3.0"
    assert str(sklearn_model.resolve()) in listed[data["name"]]["models"]

    code, out, _ = run(capsys, "show", str(sklearn_model), "--json",
                       "--cache", str(shared_env_cache))
    shown = json.loads(out)
    assert code == 0 and shown["state"] == "ready"
    assert shown["environment"]["name"] == data["name"]
    assert shown["interpreter"]["match"] in ("exact", "same-minor")
    assert [s["strategy"] for s in shown["strategies"]][0] == "dated"


def test_show_resolve_lists_what_a_build_would_install(tmp_path: Path, capsys) -> None:
    model = write_model(tmp_path / "m")
    code, out, _ = run(capsys, "show", str(model), "--resolve", "--cache", str(tmp_path / "c"))
    assert code == 0
    assert "State: not-built" in out and "Would install:" in out
    assert "numpy==1.25.2" in out and "as of 2023-08-02" in out


def test_build_failure_exit_2_with_json_error(tmp_path: Path, capsys) -> None:
    model = write_model(tmp_path / "m", requirements=["no-such-package-mlmanager-xq==1.0"],
                        build_dependencies=())
    code, out, err = run(capsys, "build", str(model), "--yes", "--json", "-q",
                         "--cache", str(tmp_path / "c"))
    assert code == 2
    error = json.loads(out)["error"]
    assert error["kind"] == "not-found" and Path(error["log"]).is_file()
    assert "no-such-package-mlmanager-xq does not exist" in err


def test_remove_and_prune(tmp_path: Path, capsys) -> None:
    cache = str(tmp_path / "c")
    a = write_model(tmp_path / "a", python="3.11.7", requirements=["six==1.16.0"],
                    build_dependencies=())
    b = write_model(tmp_path / "b", python="3.11.7", requirements=["six==1.15.0"],
                    build_dependencies=())
    for model in (a, b):
        assert run(capsys, "build", str(model), "--yes", "-q", "--cache", cache)[0] == 0
    code, out, _ = run(capsys, "list", "--json", "--cache", cache)
    names = [e["name"] for e in json.loads(out)["environments"]]
    assert len(names) == 2

    assert run(capsys, "remove", "no-such-env", "--cache", cache)[0] == 1
    code, out, _ = run(capsys, "remove", "--model", str(a), "--json", "--cache", cache)
    removed = json.loads(out)["removed"]
    assert code == 0 and len(removed) == 1
    code, out, _ = run(capsys, "prune", "--older-than", "30", "--cache", cache)
    assert code == 0 and "removed 0 environment(s)" in out  # b was used just now
    code, out, _ = run(capsys, "prune", "--older-than", "0", "--json", "--cache", cache)
    assert code == 0 and len(json.loads(out)["removed"]) == 1
    code, out, _ = run(capsys, "list", "--cache", cache)
    assert "no environments" in out
