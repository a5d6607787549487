"""``mlmanager inspect PATH [--json]``: flavors, signature, input example, metadata, artifacts,
environment check and problems of one model.

Start-up matters here (``inspect`` is what scripts call in loops): nothing heavy is imported,
and the core modules are imported when the command runs.
"""

from __future__ import annotations

import argparse

from mlmanager.cli.args import EXIT_OK, print_json, write_line
from mlmanager.core.model.summary import inspect_model
from mlmanager.core.sizes import format_size

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any


def cmd_inspect(args: argparse.Namespace) -> int:
    result = inspect_model(args.path)
    if args.json:
        print_json(result)
    else:
        write_line(format_inspect(result))
    return EXIT_OK


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("inspect", help="summarise one model (folder, MLmodel file or .zip)")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_inspect)




def _type_text(spec: Any) -> str:
    if not isinstance(spec, dict):
        return str(spec)
    t = spec.get("type")
    if t == "tensor":
        ts = spec.get("tensor-spec") or {}
        return f"tensor {ts.get('dtype')} {ts.get('shape')}"
    if t == "array":
        return f"array<{_type_text(spec.get('items'))}>"
    if t == "map":
        return f"map<string, {_type_text(spec.get('values'))}>"
    if t == "object":
        props = spec.get("properties") or {}
        inner = ", ".join(
            f"{k}{'' if (v or {}).get('required', True) is not False else '?'}: {_type_text(v)}"
            for k, v in props.items()
        )
        return "{" + inner + "}"
    return str(t)


def _spec_text(spec: Any) -> str:
    if not isinstance(spec, dict):
        return str(spec)
    name = spec.get("name")
    label = f"{name}: " if name is not None else ""
    optional = " (optional)" if spec.get("required", True) is False else ""
    return f"{label}{_type_text(spec)}{optional}"


def _param_text(p: Any) -> str:
    if not isinstance(p, dict):
        return str(p)
    shape = "[]" if p.get("shape") is not None else ""
    return f"{p.get('name')}: {_type_text(p)}{shape} = {p.get('default')!r}"


def format_inspect(d: dict[str, Any]) -> str:
    """A readable multi-line summary of an ``inspect_model`` result."""
    out: list[str] = [f"Model: {d.get('path')}"]
    facts = []
    if d.get("mlflow_version") is not None:
        facts.append(f"written by MLflow {d['mlflow_version']}")
    if d.get("utc_time_created") is not None:
        facts.append(f"created {d['utc_time_created']} UTC")
    if facts:
        out.append("  " + ", ".join(facts))
    for key in ("model_id", "model_uuid", "run_id", "artifact_path"):
        if d.get(key) is not None:
            out.append(f"  {key}: {d[key]}")

    flavors = d.get("flavors")
    out.append("Flavors:")
    if isinstance(flavors, dict) and flavors:
        for name, cfg in flavors.items():
            bits = []
            if isinstance(cfg, dict):
                for key in ("loader_module", "python_version", "sklearn_version",
                            "serialization_format", "pickled_model", "model_path", "data",
                            "python_model", "predict_fn"):
                    if cfg.get(key) is not None:
                        bits.append(f"{key}={cfg[key]}")
            out.append(f"  {name}" + (f" ({', '.join(bits)})" if bits else ""))
    else:
        out.append(f"  (none readable: {flavors!r})")

    sig = d.get("signature")
    if sig is None:
        out.append("Signature: none" + (f" ({d['signature_error']})" if d.get("signature_error") else ""))
    else:
        dialect = d.get("signature_dialect")
        out.append(f"Signature ({dialect} dialect):" if dialect else "Signature:")
        for section in ("inputs", "outputs"):
            specs = sig.get(section)
            if specs:
                out.append(f"  {section}:")
                out.extend(f"    {_spec_text(s)}" for s in specs)
        if sig.get("params"):
            out.append("  params:")
            out.extend(f"    {_param_text(p)}" for p in sig["params"])
        if d.get("is_signature_from_type_hint"):
            out.append("  (from PythonModel type hints: MLflow does not enforce it)")

    info = d.get("saved_input_example_info")
    if isinstance(info, dict):
        bits = [f"type={info.get('type')}"]
        if info.get("pandas_orient"):
            bits.append(f"orient={info['pandas_orient']}")
        if info.get("params"):
            bits.append("with params")
        out.append(f"Input example: {info.get('artifact_path')} ({', '.join(bits)})")
        if info.get("serving_input_path"):
            out.append(f"  serving example: {info['serving_input_path']}")

    meta = d.get("metadata")
    if isinstance(meta, dict) and meta:
        out.append("Metadata:")
        for k, v in meta.items():
            out.append(f"  {k}: {v}")

    env = d.get("environment") or {}
    if "error" in env:
        out.append(f"Environment: not checked ({env['error']})")
    elif env:
        py = env.get("python") or {}
        src = env.get("source") or "no requirements file"
        out.append(
            f"Environment ({src}): Python required {py.get('required') or '?'}, "
            f"running {py.get('current')} [{py.get('status')}]"
        )
        for r in env.get("requirements", []):
            mark = {"ok": "ok", "mismatch": "MISMATCH", "missing": "MISSING"}.get(r["status"], r["status"])
            inst = r.get("installed") or "not installed"
            out.append(f"  [{mark}] {r['required']} (installed: {inst})")

    arts = d.get("artifacts") or []
    total = sum(a.get("size", 0) for a in arts)
    out.append(f"Artifacts ({len(arts)} files, {format_size(total)}):")
    width = max((len(a["path"]) for a in arts), default=0)
    for a in arts:
        extra = f" -> {a['target']}" if a.get("target") else ""
        out.append(f"  {a['path']:<{width}}  {format_size(a['size']):>10}  {a['kind']}{extra}")

    problems = d.get("problems") or []
    if problems:
        out.append(f"Problems ({len(problems)}):")
        out.extend(f"  - {p}" for p in problems)
    else:
        out.append("Problems: none")
    return "\n".join(out)
