"""Generated requests against MLflow itself: validate_serving_input for every corpus model, MLflow's
own JSON parser for every request form, and a real ``mlflow models serve`` on loopback for three
representative models (colspec, tensor, pyfunc with params), compared with the worker.

Optional: Azure's real scoring script. Set MLMANAGER_AZUREML_SCORE_SCRIPT to a copy of
azureml-assets' mlflow_score_script.py (MIT; only in the Azure/azureml-assets repository on GitHub,
no PyPI package ships it); the environment that serves it (azureml-inference-server-http 1.5.1 from
PyPI, with this MLflow and the libraries that wrote the corpus) is built with uv on first use, or
MLMANAGER_AZUREML_PYTHON names one. See docs/deploy-rules.md ("Azure oracle").
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

from corpus_paths import MODELS as CORPUS  # noqa: E402
from mlflow_verdicts import verdicts  # noqa: E402
from support.author_env import child_environ, ensure_env  # noqa: E402
from support.model_recipes import EnvSpec  # noqa: E402

from mlmanager.core.deploy.local_server import LocalServer  # noqa: E402
from mlmanager.core.deploy.request_bodies import (  # noqa: E402
    ORIENTS,
    check_request,
    request_for_model,
)
from mlmanager.core.errors import InvalidError  # noqa: E402
from mlmanager.core.jsonsafe import to_jsonable  # noqa: E402
from mlmanager.core.model.mlmodel import load_model  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.compat


#: the writer's libraries pinned in an oracle environment (expected file key -> distribution)
_WRITER_DISTRIBUTIONS = {"sklearn": "scikit-learn", "numpy": "numpy", "pandas": "pandas",
                         "cloudpickle": "cloudpickle"}
#: oracle environments resolve as of this day (the installed MLflow was out by then)
ORACLE_DAY = "2026-12-01"
#: corpus models this MLflow cannot load here (a pickle of an older scikit-learn: per the
#: expected file), by name: the environment in which the same MLflow, with the libraries that
#: wrote the model, loads it (built with uv by the test model factory's `ensure_env`)
ORACLE_ENVS: dict[str, EnvSpec] = {}


def oracle_env_spec(name: str, writer: dict[str, str]) -> EnvSpec:
    """This MLflow with the writer's Python and libraries."""
    packages = (f"mlflow=={mlflow.__version__}",
                *(f"{dist}=={writer[key]}" for key, dist in _WRITER_DISTRIBUTIONS.items() if writer.get(key)))
    python = ".".join(writer["python"].split(".")[:2])
    return EnvSpec(f"mlflow-oracle-{name}", python, packages, ORACLE_DAY)


def corpus() -> list[Any]:
    """Every corpus model; those the installed mlflow cannot load (per the expected file) get an
    oracle environment in ``ORACLE_ENVS`` and the ``envbuild`` mark."""
    out = []
    for f in sorted(CORPUS.glob("*.expected.json")):
        data = json.loads(f.read_text())
        if data.get("kind") == "tracking":
            continue
        name = f.name[: -len(".expected.json")]
        inputs = sorted(CORPUS.glob(f"{name}.input*.json")) + sorted(CORPUS.glob(f"{name}.input*.csv"))
        load_error = (data.get("load_error") or {}).get(mlflow.__version__)
        marks = []
        if load_error:
            ORACLE_ENVS[name] = oracle_env_spec(name, data["writer"])
            marks.append(pytest.mark.envbuild)
        out.append(pytest.param(name, data["model_dir"], inputs[0] if inputs else None, id=name, marks=marks))
    return out


MODELS = corpus()


def mlflow_side(name: str, model: Path, validate: str | None, bodies: dict[str, str], tmp: Path) -> dict[str, Any]:
    """``mlflow_verdicts.verdicts`` for the model: in this process, or in the model's oracle
    environment when this one cannot load it."""
    spec = ORACLE_ENVS.get(name)
    if spec is None:
        return verdicts(str(model), validate, bodies)
    env = ensure_env(spec)
    request = tmp / "request.json"
    request.write_text(json.dumps({"validate": validate, "bodies": bodies}))
    done = subprocess.run([str(env.python), str(Path(__file__).with_name("mlflow_verdicts.py")), str(model), str(request)],
                          capture_output=True, text=True, env=child_environ(), cwd=tmp, timeout=900)
    assert done.returncode == 0, f"{spec.name}: {done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["mlflow"] == mlflow.__version__
    return result


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Writable copies of every corpus model (MLflow may write next to a model it loads)."""
    root = tmp_path_factory.mktemp("deploy-models")
    out = {}
    for param in MODELS:
        name, rel, _ = param.values
        dest = root / name
        shutil.copytree(CORPUS / rel, dest)
        out[name] = dest
    return out


def request_for(name: str, model: Path, input_file: Path | None, target: str = "mlflow", **kw: Any):
    doc = load_model(model)
    return doc, request_for_model(doc, target, input_path=None if doc.saved_input_example_info else input_file, **kw)


@pytest.mark.parametrize("name,rel,input_file", MODELS)
def test_validate_serving_input_accepts_the_generated_request(
    name: str, rel: str, input_file: Path | None, copies: dict[str, Path], tmp_path: Path
) -> None:
    model = copies[name]
    _, payload = request_for(name, model, input_file)
    result = mlflow_side(name, model, payload.json_text(), {}, tmp_path)
    assert result["validate_rows"] == len(payload.input.rows or payload.input.data)


@pytest.mark.parametrize("name,rel,input_file", MODELS)
def test_our_verdict_matches_mlflow_for_every_form_and_the_bad_files(
    name: str, rel: str, input_file: Path | None, copies: dict[str, Path], tmp_path: Path
) -> None:
    model = copies[name]
    doc = load_model(model)
    bodies: dict[str, str] = {}
    for orient in ORIENTS:
        try:
            _, payload = request_for(name, model, input_file, orient=orient)
        except InvalidError:
            continue
        bodies[orient] = payload.json_text()
    for path in sorted(CORPUS.glob(f"{name}.*.json")):
        if not path.name.endswith(".expected.json"):
            bodies[path.name] = path.read_text()
    assert "split" in bodies or "inputs" in bodies
    mlflows = mlflow_side(name, model, None, bodies, tmp_path)["verdicts"]
    for label, body in bodies.items():
        ours = check_request(doc, body, "mlflow")
        theirs, why = mlflows[label]
        if doc.signature is None and ours.valid and not theirs:
            continue  # without a signature only the model itself can reject an input
        assert ours.valid == theirs, f"{name} {label}: mlmanager {ours.to_json()} / mlflow {why}"


# ---------------------------------------------------------------------------------------------
# A real server on loopback, three models, compared with the worker

SERVED = ("iris_logreg_colspec", "sensor_tensor_logreg", "ticket_triage_pyfunc_params")
STOPPED = "housing_rf_regressor"  # started with the others, stopped by a test


@pytest.fixture(scope="module")
def servers(copies: dict[str, Path]):
    """Three ``mlflow models serve`` processes started side by side (start-up is mlflow's import)."""
    import sys

    started = {
        n: LocalServer(copies[n], python=sys.executable, trusted=True, startup_timeout=300)
        for n in (*SERVED, STOPPED)
    }
    try:
        with ThreadPoolExecutor(max_workers=len(started)) as pool:
            for _ in pool.map(LocalServer.start, started.values()):
                pass
        yield started
    finally:
        for server in started.values():
            server.cleanup()


def worker_predictions(model: Path, data: Any, params: Any, cache: Path) -> Any:
    from mlmanager.predict.worker_client import WorkerClient

    with WorkerClient(cache_dir=cache, timeout=180) as client:
        report = client.scan(model)
        client.load(model, {report.sha256} if report.sha256 else set())
        result = client.predict(data, params)
    value = result.predictions
    if type(value).__name__ == "DataFrame":
        return to_jsonable(value.to_dict("records"))
    return to_jsonable(value)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.slow
@pytest.mark.parametrize("name", SERVED)
def test_real_server_answers_like_the_worker(
    name: str, servers: dict[str, LocalServer], copies: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = servers[name]
    model = copies[name]
    doc = load_model(model)
    payload = request_for_model(doc, "mlflow")
    answer = server.post(payload.json_text())
    assert answer.status == 200, answer.body
    check = check_request(doc, payload.json_text(), "mlflow")
    assert check.valid
    expected = worker_predictions(model, check.result.data, check.result.params, tmp_path_factory.mktemp("cache"))
    assert same(answer.predictions, expected), f"server {answer.predictions} != worker {expected}"
    # every other accepted form gives the same predictions
    for orient in ORIENTS:
        try:
            other = request_for_model(doc, "mlflow", orient=orient)
        except InvalidError:
            continue
        reply = server.post(other.json_text())
        verdict = check_request(doc, other.json_text(), "mlflow")
        assert (reply.status == 200) == verdict.valid, f"{orient}: {reply.body[:200]}"
        if reply.status == 200:
            assert same(reply.predictions, expected), orient


@pytest.mark.slow
def test_real_server_rejects_what_we_reject(servers: dict[str, LocalServer]) -> None:
    server = servers["iris_logreg_colspec"]
    doc = load_model(server.model_dir)
    bad = {"dataframe_split": {"columns": ["sepal length (cm)"], "data": [[1.0]]}}
    answer = server.post(bad)
    assert answer.status == 400 and "missing inputs" in answer.body
    assert not check_request(doc, bad, "mlflow").valid
    assert server.post({"dataframe_split": {"data": []}, "inputs": []}).status == 400
    assert server.post(b"a,b\n1,2", content_type="text/plain").status == 415
    csv = request_for_model(doc, "mlflow").render("csv")
    assert server.post(csv, content_type="text/csv").status == 200


@pytest.mark.slow
def test_server_is_stopped_and_only_on_loopback(servers: dict[str, LocalServer]) -> None:
    from mlmanager.core.child_process import group_alive

    server = servers[STOPPED]
    assert server.running
    pid, port = server.pid, server.port
    assert server.command[server.command.index("-h") + 1] == "127.0.0.1"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=10) as r:
        assert r.read().decode().strip('"') == mlflow.__version__
    assert "Uvicorn running on http://127.0.0.1" in server.log_tail()
    server.stop()
    assert not server.running
    assert not group_alive(pid)  # the CLI and its uvicorn child are gone
    with socket.socket() as s:
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", port)) != 0


# ---------------------------------------------------------------------------------------------
# Optional: Azure's own scoring script (see the module docstring)

AZ_PYTHON = os.environ.get("MLMANAGER_AZUREML_PYTHON")
AZ_SCRIPT = os.environ.get("MLMANAGER_AZUREML_SCORE_SCRIPT")


def azure_env_spec() -> EnvSpec:
    """Azure's inference server (as docs/deploy-rules.md ran it) with this MLflow (skinny) and
    the versions of the libraries the corpus models were written with (this environment's)."""
    from importlib.metadata import PackageNotFoundError, version

    libraries = []
    for dist in ("scikit-learn", "pandas", "numpy", "scipy", "cloudpickle", "skops"):
        try:
            libraries.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            continue
    return EnvSpec("azureml-inference-server", "3.11", (
        "azureml-inference-server-http==1.5.1", "inference-schema==1.8", "azureml-ai-monitoring==1.0.0",
        f"mlflow-skinny=={mlflow.__version__}", *libraries), ORACLE_DAY)


@pytest.fixture(scope="session")
def azure_python() -> str:
    """MLMANAGER_AZUREML_PYTHON, else the environment of ``azure_env_spec`` (built on first use)."""
    return AZ_PYTHON or str(ensure_env(azure_env_spec()).python)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def azure_answers(model: Path, bodies: list[str], tmp: Path, python: str) -> list[int] | None:
    """Status of each body on azmlinfsrv + mlflow_score_script.py, or None if it did not start."""
    models = tmp / "models"
    shutil.copytree(model, models / "model")
    port, health = _free_port(), _free_port()
    server = str(Path(python).parent / "azmlinfsrv")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "MLFLOW_MODEL_FOLDER": "model"}
    log = open(tmp / "azml.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [server, "--entry_script", AZ_SCRIPT, "--model_dir", str(models), "--port", str(port), "--health_port", str(health)],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp, env=env, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                return None
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.5)
        out = []
        for body in bodies:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/score", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    out.append(r.status)
            except urllib.error.HTTPError as exc:
                out.append(exc.code)
        return out
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with __import__("contextlib").suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
@pytest.mark.skipif(not AZ_SCRIPT, reason="Azure's scoring script is not given: MLMANAGER_AZUREML_SCORE_SCRIPT, a copy of "
                    "azureml-assets' mlflow_score_script.py (on GitHub only; see the module docstring)")
@pytest.mark.parametrize("name", ["iris_logreg_colspec", "housing_rf_regressor", "sensor_tensor_logreg",
                                  "ticket_triage_pyfunc_params", "scaler_logreg_nosig"])
def test_azure_scoring_script_agrees(name: str, copies: dict[str, Path], tmp_path: Path, azure_python: str) -> None:
    model = copies[name]
    input_file = next((p.values[2] for p in MODELS if p.values[0] == name), None)
    doc, payload = request_for(name, model, input_file, target="azureml")
    bodies = [payload.json_text(), request_for_model(doc, "mlflow", input_path=None if doc.saved_input_example_info else input_file).json_text()]
    statuses = azure_answers(model, bodies, tmp_path, azure_python)
    assert statuses is not None, (tmp_path / "azml.log").read_text()[-3000:]
    for body, status in zip(bodies, statuses):
        assert (status == 200) == check_request(doc, body, "azureml").valid, (body[:200], status)
