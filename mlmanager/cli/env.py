"""Model environments: ``mlmanager env build|show|list|remove|prune``.

::

    mlmanager env build MODEL [--python EXE] [--offline] [--yes] [--allow-other-python]
                              [--allow-build] [--install-python] [--load [--trust]]
                              [--quiet] [--json]     # exit 0: ready (and, with --load, loaded)
    mlmanager env show MODEL [--python EXE] [--allow-other-python] [--resolve] [--json]
    mlmanager env list [--json]
    mlmanager env remove (ENV | --model MODEL) [--json]
    mlmanager env prune [--older-than DAYS] [--dry-run] [--json]

Every subcommand takes ``--cache DIR`` (default ``$MLMANAGER_ENV_CACHE``, else
``~/.cache/mlmanager/environments``). Building installs packages from the package index,
which runs their code: the first build of an environment needs ``--yes`` or a "y" typed at
the prompt (on a terminal); otherwise it is refused with exit 2. Exit codes: 0 ready / done,
1 understood but invalid (no such environment), 2 the model or the environment cannot be
read or built.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from mlmanager.core.environments.builder import build, preview
from mlmanager.core.environments.cache import EnvironmentCache
from mlmanager.core.environments.failures import EnvironmentBuildError
from mlmanager.core.environments.plan import BuildOptions, plan_build
from mlmanager.core.environments.spec import read_spec
from mlmanager.core.errors import InvalidError, MlmanagerError
from mlmanager.core.sizes import format_size
from mlmanager.predict.session import PredictionSession, environment_runtime
from mlmanager.worker.errors import ModelRefusedError

if TYPE_CHECKING:
    from mlmanager.core.environments.builder import BuildResult, Resolution
    from mlmanager.core.environments.cache import Environment, EnvironmentCache
    from mlmanager.core.environments.plan import BuildPlan

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
KEY_PACKAGES = ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "xgboost", "lightgbm",
                "torch", "tensorflow", "onnxruntime", "statsmodels", "cloudpickle")


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def _json(obj: Any) -> None:
    _out(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def _cache(args: argparse.Namespace) -> EnvironmentCache:
    return EnvironmentCache(args.cache)


def _plan(args: argparse.Namespace) -> BuildPlan:
    options = BuildOptions(
        python=args.python, offline=getattr(args, "offline", False),
        allow_other_python=args.allow_other_python,
        allow_build=getattr(args, "allow_build", False),
        allow_python_install=getattr(args, "install_python", False))
    return plan_build(read_spec(args.model), options, _cache(args))


def _key_packages(packages: dict[str, str]) -> str:
    shown = [f"{n} {packages[n]}" for n in KEY_PACKAGES if n in packages]
    return ", ".join(shown) or ", ".join(f"{n} {v}" for n, v in list(packages.items())[:6])


def environment_text(env: Environment) -> list[str]:
    lines = [
        f"  interpreter: {env.python} (Python {env.python_version})",
        f"  why: {env.interpreter.get('reason', '')}",
        f"  strategy: {env.strategy_label}"
        + (f", as of {str(env.resolution.get('exclude_newer'))[:10]}"
           if env.resolution.get("exclude_newer") else ""),
        f"  packages: {len(env.packages)} ({_key_packages(env.packages)})",
        f"  size: {format_size(env.size_bytes)}",
    ]
    if env.interpreter.get("warning"):
        lines.append(f"  warning: {env.interpreter['warning']}")
    lines += [f"  note: {n}" for n in env.notes]
    return lines


def _build_json(result: BuildResult) -> dict[str, Any]:
    return dict(result.environment.to_dict(), reused=result.reused, waited=result.waited,
                seconds=result.seconds, tried=result.tried)


def _resolution_text(res: Resolution) -> list[str]:
    lines = [f"Strategy: {res.attempt.label}"
             + (f", as of {res.exclude_newer[:10]}" if res.exclude_newer else "")]
    if res.build_packages or res.build_dependencies:
        items = res.build_packages or res.build_dependencies
        lines.append(f"Build dependencies ({len(items)}): " + " ".join(items))
    items = res.packages or res.requirements
    label = "Packages" if res.packages else "Requirements (resolved while installing)"
    lines.append(f"{label} ({len(items)}):")
    lines += [f"  {p}" for p in items]
    lines += [f"Note: {n}" for n in res.notes]
    return lines


def _ask(question: str) -> bool:
    _err(question + " [y/N] ")
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_build(args: argparse.Namespace) -> int:
    try:
        plan = _plan(args)
        ready = plan.ready()
        consent = args.yes or ready is not None
        if not consent:
            interactive = sys.stdin.isatty() and sys.stderr.isatty()
            _err(f"Model: {plan.spec.model}")
            _err(f"Python: {plan.choice.reason}")
            if plan.choice.warning:
                _err(f"Warning: {plan.choice.warning}")
            if not interactive:
                _err("Requirements: " + (" ".join(plan.spec.requirements) or "(none)"))
                _err("mlmanager: building this environment installs packages from the package "
                     "index, which runs their code. Review them (mlmanager env show MODEL "
                     "--resolve) and run again with --yes.")
                return EXIT_UNREADABLE
            res = preview(plan, on_progress=None if args.quiet else
                          (lambda t: _err(f"mlmanager: {t}")))
            for line in _resolution_text(res):
                _err(line)
            if not _ask(f"Install these into a new environment under {plan.cache.root}?"):
                _err("mlmanager: not built (no consent)")
                return EXIT_UNREADABLE
        result = build(
            plan, consent=True,
            on_progress=None if args.quiet else (lambda t: _err(f"mlmanager: {t}")),
            on_log=None if args.quiet else (lambda line: _err(f"  | {line}")))
    except EnvironmentBuildError as exc:
        if args.json:
            _json({"error": exc.to_dict()})
        _err(f"mlmanager: {exc}")
        return EXIT_UNREADABLE
    env = result.environment
    loaded, load_error = (_load(args, env) if args.load else (None, None))
    if args.json:
        data = _build_json(result)
        if args.load:
            data["load"] = loaded if loaded is not None else {"error": load_error}
        _json(data)
    else:
        how = "reused" if result.reused else f"built in {result.seconds:.1f} s"
        _out("\n".join([f"ready: {env.name} ({how})", *environment_text(env)]))
        if loaded is not None:
            _out(f"loaded: {loaded['model_type']} with {loaded['loader']} "
                 f"[{loaded['classification']}{', trusted' if loaded['trusted'] else ''}] "
                 f"in {loaded['seconds']:.1f} s")
    if load_error is not None:
        _err(f"mlmanager: the environment is ready, but the model does not load in it: {load_error}")
        return EXIT_UNREADABLE
    return EXIT_OK


def _load(args: argparse.Namespace, env: Environment) -> tuple[dict[str, Any] | None, str | None]:
    """Load the model in ``env`` through a prediction session: (facts, None) or (None, why)."""
    try:  # build() already recorded this model's use of the environment
        with PredictionSession(args.model, environment_runtime(env)) as session:
            report = session.scan()
            if report.needs_trust and args.trust and report.sha256:
                session.trust(report.sha256)
            info = session.load()
    except ModelRefusedError as exc:
        hint = " (pass --trust to run it)" if exc.report is not None and exc.report.needs_trust else ""
        return None, f"{exc.message}{hint}"
    except MlmanagerError as exc:
        return None, exc.message
    return {"model_type": info.model_type, "loader": info.loader, "classification": info.classification,
            "trusted": info.trusted, "seconds": round(info.seconds, 3),
            "python": info.versions.get("python"),
            "packages": {k: v for k, v in info.versions.items() if k != "python" and v}}, None


def cmd_show(args: argparse.Namespace) -> int:
    spec = read_spec(args.model)
    data: dict[str, Any] = {"spec": spec.to_dict()}
    lines = [f"Model: {spec.model}",
             f"Python: {spec.python or 'not stated'}"
             + (f" (from {spec.python_source})" if spec.python_source else ""),
             f"Requirements ({spec.requirements_source or 'none'}):"]
    lines += [f"  {r}" for r in spec.requirements]
    if spec.build_dependencies:
        lines.append("Build dependencies: " + " ".join(spec.build_dependencies))
    if spec.created:
        lines.append(f"Saved: {spec.created.isoformat()}")
    lines += [f"Note: {n}" for n in spec.notes] + [f"Problem: {p}" for p in spec.problems]
    code = EXIT_OK
    try:
        plan = _plan(args)
    except EnvironmentBuildError as exc:
        data["error"] = exc.to_dict()
        lines.append(f"Cannot build: {exc.message}")
        code = EXIT_UNREADABLE
    else:
        status = plan.status()
        data.update(plan.to_dict(), state=status.state,
                    environment=status.environment.to_dict() if status.environment else None,
                    failure=status.failure)
        lines.append(f"Interpreter: {plan.choice.interpreter.executable} — {plan.choice.reason}")
        if plan.choice.warning:
            lines.append(f"Warning: {plan.choice.warning}")
        lines.append("Strategies, in order:")
        lines += [f"  {i}. {a.label}" + (f" [after: {', '.join(sorted(a.after))}]" if a.after else "")
                  for i, a in enumerate(plan.attempts, 1)]
        lines.append(f"State: {status.state}")
        if status.environment is not None:
            lines += [f"Environment: {status.environment.name}",
                      *environment_text(status.environment)]
        elif status.failure:
            lines.append(f"Last failure: {status.failure.get('message')}")
            if status.failure.get("log"):
                lines.append(f"Full log: {status.failure['log']}")
        if args.resolve and status.environment is None:
            try:
                res = preview(plan)
            except EnvironmentBuildError as exc:
                data["resolution_error"] = exc.to_dict()
                lines.append(f"Would fail: {exc}")
                code = EXIT_UNREADABLE
            else:
                data["resolution"] = res.to_dict()
                lines += ["Would install:", *_resolution_text(res)]
    if args.json:
        _json(data)
    else:
        _out("\n".join(lines))
    return code


def cmd_list(args: argparse.Namespace) -> int:
    cache = _cache(args)
    envs = cache.environments()
    building = cache.building()
    if args.json:
        _json({"root": str(cache.root), "environments": [e.to_dict() for e in envs],
               "building": building})
        return EXIT_OK
    if not envs:
        _out(f"no environments in {cache.root}")
    for env in envs:
        models = ", ".join(env.models) or "-"
        _out(f"{env.name}  Python {env.python_version}  {env.strategy}  "
             f"{len(env.packages)} packages  {format_size(env.size_bytes)}  "
             f"last used {env.last_used}\n  python: {env.python}\n  models: {models}")
    for name in building:
        _out(f"{name}  building")
    if envs:
        total = sum(e.size_bytes for e in envs)
        _out(f"{len(envs)} environment(s), {format_size(total)} in {cache.root}")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    cache = _cache(args)
    if args.model:
        import os

        try:
            location = read_spec(args.model).model
        except MlmanagerError:  # the model may be gone: its path is still how it was recorded
            location = os.path.abspath(args.model)
        targets = cache.for_model(location)
        if not targets:
            raise InvalidError(f"no environment is recorded for {location}")
    else:
        targets = [cache.find(args.env)]
    freed = 0
    for env in targets:
        freed += cache.remove(env)
    if args.json:
        _json({"removed": [e.name for e in targets], "freed_bytes": freed})
    else:
        _out("\n".join(f"removed {e.name}" for e in targets) + f"\nfreed {format_size(freed)}")
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    if args.older_than < 0:
        raise InvalidError("--older-than must be zero or more days")
    result = _cache(args).prune(args.older_than, dry_run=args.dry_run)
    if args.json:
        _json({"removed": result.removed, "freed_bytes": result.freed_bytes,
               "stale_removed": result.stale_removed, "dry_run": args.dry_run})
    else:
        verb = "would remove" if args.dry_run else "removed"
        lines = [f"{verb} {n}" for n in result.removed]
        lines.append(f"{verb} {len(result.removed)} environment(s), {format_size(result.freed_bytes)}"
                     + (f"; {result.stale_removed} unfinished build(s) cleaned"
                        if result.stale_removed else ""))
        _out("\n".join(lines))
    return EXIT_OK


def register(subparsers: Any) -> None:
    """Add ``env`` (build, show, list, remove, prune) to the CLI."""
    env = subparsers.add_parser("env", help="build, list and remove model environments")
    sub = env.add_subparsers(dest="env_command", metavar="ACTION", required=True,
                             parser_class=type(env))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cache", metavar="DIR",
                        help="the environments folder (default: $MLMANAGER_ENV_CACHE or "
                        "~/.cache/mlmanager/environments)")
    choose = argparse.ArgumentParser(add_help=False)
    choose.add_argument("--python", metavar="EXE", help="build on this interpreter")
    choose.add_argument("--allow-other-python", action="store_true",
                        help="when the model's Python minor is not here, use the nearest one "
                        "(pickles may not load)")
    choose.add_argument("--offline", action="store_true",
                        help="install only what is in uv's package cache")

    p = sub.add_parser("build", parents=[common, choose],
                       help="build (or reuse) the model's own environment; exit 0 when ready")
    p.add_argument("model")
    p.add_argument("--yes", "-y", action="store_true",
                   help="agree to install the model's requirements (they run code from the index)")
    p.add_argument("--allow-build", action="store_true",
                   help="when no wheels resolve, build packages from source (can take minutes)")
    p.add_argument("--install-python", action="store_true",
                   help="when the model's Python minor is not here, download it with "
                   "`uv python install` (online only)")
    p.add_argument("--load", action="store_true",
                   help="then load the model in the environment (the prediction worker), as a "
                   "prediction would; exit 0 only when it loads")
    p.add_argument("--trust", action="store_true",
                   help="with --load: run a model whose files contain code or imports outside the "
                   "allowlist (runs the model's code with your permissions, in the worker)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress or installer log")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("show", parents=[common, choose],
                       help="what the model needs, which interpreter and why, whether built")
    p.add_argument("model")
    p.add_argument("--resolve", action="store_true",
                   help="also resolve (no install) and list exactly what a build would install")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("list", parents=[common], help="the built environments")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("remove", parents=[common], help="remove an environment")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("env", nargs="?", metavar="ENV", help="its name (or a unique prefix)")
    what.add_argument("--model", metavar="MODEL", help="every environment recorded for MODEL")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("prune", parents=[common],
                       help="remove environments unused for a while, or whose models are gone")
    p.add_argument("--older-than", type=float, default=30.0, metavar="DAYS",
                   help="unused for this many days (default 30)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_prune)
