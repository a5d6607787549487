"""Benchmark: a registry on a loopback ``mlflow server`` — listing and downloading.

Starts a real ``mlflow server`` (SQLite backend, proxied artifacts) in a temp folder, fills it
with 1,000 registered models x 3 versions (rows cloned from one MLflow wrote, so every column is
as MLflow fills it) and one version holding a 200 MB model (``--quick``: 50 MB), then times, in
interleaved rounds (in-process, imports excluded):

* first page: mlmanager's first ``search_registered_models`` page (50 models with all their
  versions and aliases: what the library paints first) vs ``MlflowClient.search_registered_models
  (max_results=50)`` (the same 50 models with their latest versions only);
* whole listing: every model with every version: mlmanager's pages vs
  ``MlflowClient.search_registered_models`` (paged) + ``search_model_versions`` (paged);
* download of the 200 MB version into an empty folder: mlmanager's ``fetch_version`` (into a
  fresh download cache) vs ``mlflow.artifacts.download_artifacts`` of the version's download URI
  (what ``MlflowClient.download_artifacts`` runs for run artifacts).

Rounds alternate which side goes first (the first of a pair is often the slower: the previous
pair's 200 MB are still being written back). Each download row also carries the client's CPU
time per side (what the client itself costs, apart from the server and the machine's load) and
the load averages before and after.

Usage::

    python benchmarks/bench_registry.py [--quick] [--repeat N] [--cases first,all,download]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for p in (str(REPO), str(REPO / "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

from benchmarks.common import Row, Timing, have_mlflow  # noqa: E402

N_MODELS, N_VERSIONS = 1000, 3
TARGET_FIRST = 0.3


def _clone(db: Path, template: str, n_models: int, n_versions: int) -> None:
    con = sqlite3.connect(db, timeout=60)
    try:
        rm_cols = [r[1] for r in con.execute("PRAGMA table_info(registered_models)")]
        mv_cols = [r[1] for r in con.execute("PRAGMA table_info(model_versions)")]
        rm = dict(zip(rm_cols, con.execute("SELECT * FROM registered_models WHERE name = ?",
                                           (template,)).fetchone()))
        mv = dict(zip(mv_cols, con.execute("SELECT * FROM model_versions WHERE name = ?",
                                           (template,)).fetchone()))
        rms = [{**rm, "name": f"model-{i:04d}"} for i in range(n_models)]
        mvs = [{**mv, "name": f"model-{i:04d}", "version": v}
               for i in range(n_models) for v in range(1, n_versions + 1)]
        for table, cols, rows in (("registered_models", rm_cols, rms),
                                  ("model_versions", mv_cols, mvs)):
            con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                            f"({', '.join('?' * len(cols))})",
                            [tuple(r[c] for c in cols) for r in rows])
        con.execute("DELETE FROM model_versions WHERE name = ?", (template,))
        con.execute("DELETE FROM registered_models WHERE name = ?", (template,))
        con.commit()
    finally:
        con.close()


def _big_model(folder: Path, megabytes: int) -> Path:
    from corpus_paths import MODELS

    model = folder / "big-model"
    shutil.copytree(MODELS / "iris_logreg_colspec", model)
    with open(model / "weights.bin", "wb") as fh:
        block = bytes(range(256)) * 4096
        for _ in range(megabytes):
            fh.write(block)
    return model


CASES = ("first", "all", "download")


def run(quick: bool = False, repeat: int | None = None,
        cases_wanted: tuple[str, ...] = CASES) -> list[Row]:
    if not have_mlflow():
        return [Row(job="8 registry", case="skipped", ours=Timing(),
                    note="needs mlflow (the server and the counterpart)")]
    import mlflow
    from mlflow import MlflowClient
    from mlflow_server import MlflowServer

    from mlmanager.core.library.registry.source import list_all
    from mlmanager.core.remote.auth import ServerAuth
    from mlmanager.core.remote.download import DownloadCache
    from mlmanager.core.remote.registry import FIRST_PAGE, ServerRegistry

    repeat = repeat or (3 if quick else 5)
    megabytes = 50 if quick else 200
    work = Path(tempfile.mkdtemp(prefix="mlmanager-bench-registry-"))
    server = MlflowServer(work / "server")
    rows: list[Row] = []
    try:
        server.start()
        url = server.url
        auth = ServerAuth()
        setup = ServerRegistry(url, auth, cache=DownloadCache(work / "setup-cache"))
        model = _big_model(work, megabytes)
        setup.register_model_folder(model, "template")
        _clone(server.folder / "mlflow.db", "template", N_MODELS, N_VERSIONS)
        big = setup.register_model_folder(model, "big-model")
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        download_uri = client.get_model_version_download_uri("big-model", big.version)

        def ours_first() -> int:
            source = ServerRegistry(url, auth)
            page = next(source.search_registered_models())
            source.close()
            return len(page)

        def ours_all() -> int:
            source = ServerRegistry(url, auth)
            models = list_all(source)
            source.close()
            return sum(len(m.versions) for m in models)

        def theirs_first() -> int:
            return len(MlflowClient(tracking_uri=url).search_registered_models(
                max_results=FIRST_PAGE))

        def theirs_all() -> int:
            c = MlflowClient(tracking_uri=url)
            models, token = [], None
            while True:
                page = c.search_registered_models(max_results=100, page_token=token)
                models.extend(page)
                token = page.token
                if not token:
                    break
            versions, token = [], None
            while True:
                page = c.search_model_versions(max_results=10_000, page_token=token)
                versions.extend(page)
                token = page.token
                if not token:
                    break
            return len(versions)

        counter = [0]

        def ours_download() -> int:
            counter[0] += 1
            cache = work / f"cache-{counter[0]}"
            source = ServerRegistry(url, auth, cache=DownloadCache(cache))
            folder = source.fetch_version(big)
            size = (folder / "weights.bin").stat().st_size
            shutil.rmtree(cache)
            return size

        def theirs_download() -> int:
            counter[0] += 1
            dest = work / f"mlflow-{counter[0]}"
            dest.mkdir()
            folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=download_uri,
                                                              dst_path=str(dest),
                                                              tracking_uri=url))
            size = (folder / "weights.bin").stat().st_size
            shutil.rmtree(dest)
            return size

        cases = {k: v for k, v in {
            "first": (ours_first, theirs_first),
            "all": (ours_all, theirs_all),
            "download": (ours_download, theirs_download),
        }.items() if k in cases_wanted}
        timings = {k: (Timing(), Timing()) for k in cases}
        cpu: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cases}
        load_before = os.getloadavg()
        checks: dict[str, tuple[int, int]] = {}
        for fn_pair in cases.values():  # warm-up: page cache, connections, imports
            for fn in fn_pair:
                fn()
        for round_no in range(repeat):
            for key, (ours, theirs) in cases.items():
                order = [(0, ours), (1, theirs)] if round_no % 2 == 0 else [(1, theirs), (0, ours)]
                results = [0, 0]
                for side, fn in order:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    results[side] = fn()
                    timings[key][side].samples.append(time.perf_counter() - start)
                    cpu[key][side].append(time.process_time() - start_cpu)
                checks[key] = (results[0], results[1])
        load = {"before": load_before, "after": os.getloadavg()}
        n = f"{N_MODELS:,} models x {N_VERSIONS} versions"
        if "first" in cases:
            first = timings["first"]
            rows.append(Row(job="8 registry", case=f"first page ({n})", ours=first[0],
                            theirs=first[1], theirs_label="search_registered_models page",
                            target=f"<= {TARGET_FIRST} s",
                            passed=first[0].median <= TARGET_FIRST,
                            extra={"counts": checks["first"], "load": load}))
        if "all" in cases:
            whole = timings["all"]
            rows.append(Row(job="8 registry", case=f"whole listing ({n})", ours=whole[0],
                            theirs=whole[1], theirs_label="search_registered_models+versions",
                            target="no slower than MlflowClient",
                            passed=whole[0].median <= whole[1].median,
                            extra={"versions": checks["all"], "load": load}))
        if "download" in cases:
            dl = timings["download"]
            rows.append(Row(job="8 registry", case=f"download {megabytes} MB model", ours=dl[0],
                            theirs=dl[1], theirs_label="download_artifacts",
                            target="no slower than MLflow's download",
                            passed=dl[0].median <= dl[1].median,
                            extra={"bytes": checks["download"],
                                   "mb_per_s_ours": megabytes / dl[0].median,
                                   "mb_per_s_mlflow": megabytes / dl[1].median,
                                   "client_cpu_s_ours": sorted(cpu["download"][0]),
                                   "client_cpu_s_mlflow": sorted(cpu["download"][1]),
                                   "load": load}))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int)
    ap.add_argument("--cases", default=",".join(CASES),
                    help="which cases, comma separated: first, all, download")
    args = ap.parse_args()
    wanted = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = set(wanted) - set(CASES)
    if unknown:
        ap.error(f"unknown case(s): {', '.join(sorted(unknown))} (choose from {', '.join(CASES)})")
    rows = run(args.quick, args.repeat, wanted)
    for row in rows:
        ratio = f"{row.ratio:.2f}x" if row.ratio else "-"
        print(f"{row.case:<45} ours {row.ours!s:<18} {row.theirs_label} {row.theirs!s:<18} "
              f"them/us {ratio:<7} {row.verdict}  load {row.extra.get('load')}")
    print(json.dumps([r.to_json() for r in rows], indent=1, default=str)[:4000])


if __name__ == "__main__":
    main()
