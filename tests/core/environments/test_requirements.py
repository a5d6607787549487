"""Environment files parsing and the requirement check in MLflow's terms."""

from __future__ import annotations

import platform
import shutil
import stat
import sys
from importlib import metadata
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.core.environments.requirements import (
    MISMATCH_HEADER,
    check_environment,
    model_requirements,
    parse_conda_yaml,
    parse_python_env_yaml,
    parse_requirements_text,
)
from mlmanager.core.errors import ModelReadError, YamlError
from mlmanager.core.model.mlmodel import load_model

PACKAGING = metadata.version("packaging")
PYYAML = metadata.version("PyYAML")


def copy_model(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


def test_parse_requirements_like_mlflow() -> None:
    refs = {"more.txt": "extra==1.0\n# note\n", "c.txt": "pinned<2"}
    text = (
        "# comment\n\nnumpy==2.0  # inline\n"
        "pandas>=1,\\\n<3\n-r more.txt\n--constraint c.txt\n  scikit-learn  \n"
    )
    lines = parse_requirements_text(text, refs.__getitem__)
    assert lines == ["numpy==2.0", "pandas>=1,<3", "extra==1.0", "pinned<2", "scikit-learn"]


def test_missing_reference_is_a_problem() -> None:
    def read(name: str) -> str:
        raise ModelReadError(f"no such file: {name}")

    problems: list[str] = []
    assert parse_requirements_text("-r nope.txt\na", read, problems=problems) == ["a"]
    assert problems and "nope.txt" in problems[0]


def test_self_reference_terminates() -> None:
    problems: list[str] = []
    lines = parse_requirements_text("a\n-r self.txt", lambda _: "a\n-r self.txt", problems=problems)
    assert lines.count("a") == 6 and any("nested too deeply" in p for p in problems)


def test_parse_conda_and_python_env() -> None:
    conda = (MODELS / "churn_pipeline_onehot" / "conda.yaml").read_bytes()
    python, pip = parse_conda_yaml(conda)
    assert python == "3.11.7" and "scikit-learn==1.9.1" in pip
    env = (MODELS / "churn_pipeline_onehot" / "python_env.yaml").read_bytes()
    assert parse_python_env_yaml(env) == ("3.11.7", ["pip==23.2.1", "setuptools==65.5.0", "wheel"], ["-r requirements.txt"])
    with pytest.raises(YamlError):
        parse_conda_yaml(b"a: &x 1\nb: *x\n")


def test_model_requirements_from_requirements_txt() -> None:
    reqs = model_requirements(load_model(MODELS / "v1_bikes_linreg"))
    assert reqs.source == "requirements.txt"
    assert reqs.lines == ["mlflow", "cloudpickle==2.2.1", "scikit-learn==1.2.2"]
    assert reqs.python == "3.11.7"


def test_fallback_to_conda_then_python_env(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "v1_bikes_linreg", tmp_path / "m")
    (folder / "requirements.txt").unlink()
    reqs = model_requirements(load_model(folder))
    assert reqs.source == "conda.yaml" and "scikit-learn==1.2.2" in reqs.lines
    (folder / "conda.yaml").unlink()
    (folder / "python_env.yaml").write_text("python: 3.9.1\ndependencies:\n- numpy==1.0\n")
    reqs = model_requirements(load_model(folder))
    assert reqs.source == "python_env.yaml" and reqs.lines == ["numpy==1.0"]


def _model_with_requirements(tmp_path: Path, lines: list[str], python: str | None = None) -> Path:
    folder = copy_model(MODELS / "v1_bikes_linreg", tmp_path / "m")
    (folder / "requirements.txt").write_text("\n".join(lines))
    if python is not None:
        text = (folder / "MLmodel").read_text().replace("python_version: 3.11.7", f"python_version: {python}")
        (folder / "MLmodel").write_text(text)
    return folder


def test_check_statuses_and_mlflow_message(tmp_path: Path) -> None:
    folder = _model_with_requirements(
        tmp_path,
        [
            "packaging==0.1",
            f"pyyaml=={PYYAML}",
            "surely-not-installed-pkg-xyz>=1",
            "./local/path.whl",
            'numpy<0.1; python_version < "3.0"',
            "Packaging>=1",
        ],
    )
    env = check_environment(load_model(folder))
    by_req = {r.required: r for r in env.requirements}
    assert by_req["packaging==0.1"].status == "mismatch"
    assert by_req["packaging==0.1"].installed == PACKAGING
    assert by_req[f"pyyaml=={PYYAML}"].status == "ok"
    assert by_req["surely-not-installed-pkg-xyz>=1"].status == "missing"
    assert by_req["surely-not-installed-pkg-xyz>=1"].installed is None
    assert by_req["./local/path.whl"].status == "unparseable"
    assert by_req['numpy<0.1; python_version < "3.0"'].status == "ok"  # marker does not apply
    assert by_req["Packaging>=1"].status == "ok"
    assert env.message == (
        MISMATCH_HEADER
        + f"\n - packaging (current: {PACKAGING}, required: packaging==0.1)"
        + "\n - surely-not-installed-pkg-xyz (current: uninstalled, required: surely-not-installed-pkg-xyz>=1)"
    )
    assert not env.ok
    d = env.to_dict()
    assert d["python"]["status"] == "ok" and d["message"] == env.message


def test_all_satisfied(tmp_path: Path) -> None:
    folder = _model_with_requirements(tmp_path, [f"packaging=={PACKAGING}"])
    env = check_environment(load_model(folder))
    assert env.ok and env.message is None


def test_python_version_mismatch(tmp_path: Path) -> None:
    folder = _model_with_requirements(tmp_path, [], python="2.7.18")
    env = check_environment(load_model(folder))
    assert env.python.required == "2.7.18"
    assert env.python.current == platform.python_version()
    assert env.python.status == "mismatch" and not env.ok
    assert "differs from the version of Python that is currently running" in env.python_message
    same = _model_with_requirements(tmp_path / "b", [], python=f"{sys.version_info[0]}.{sys.version_info[1]}.99")
    assert check_environment(load_model(same)).python.status == "ok"


def test_corpus_v1_matches_mlflow_warning() -> None:
    env = check_environment(load_model(MODELS / "v1_bikes_linreg"))
    sk = next(r for r in env.requirements if r.name == "scikit-learn")
    assert sk.status == "mismatch" and sk.installed == metadata.version("scikit-learn")
    assert env.message.startswith(
        "Detected one or more mismatches between the model's dependencies and the current Python environment:\n - "
    )
    assert f" - scikit-learn (current: {sk.installed}, required: scikit-learn==1.2.2)" in env.message


@pytest.mark.slow
def test_other_interpreter_subprocess(tmp_path: Path) -> None:
    folder = _model_with_requirements(
        tmp_path, ["packaging==0.1", "surely-not-installed-pkg-xyz", f"pyyaml=={PYYAML}"]
    )
    doc = load_model(folder)
    here = check_environment(doc)
    there = check_environment(doc, python_executable=sys.executable)
    assert [r.to_dict() for r in there.requirements] == [r.to_dict() for r in here.requirements]
    assert there.python.current == platform.python_version()
    assert there.message == here.message


def test_unrunnable_interpreter(tmp_path: Path) -> None:
    doc = load_model(MODELS / "v1_bikes_linreg")
    with pytest.raises(ModelReadError, match="cannot run"):
        check_environment(doc, python_executable=str(tmp_path / "no-python"))
