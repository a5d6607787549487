"""CLI: export, import, package, diff and copy models.

::

    mlmanager export MODEL (--zip OUT.zip | --to DIR) [--flat] [--dereference-links] [--force]
    mlmanager import ARCHIVE DEST [--name NAME] [--raw]
    mlmanager package ESTIMATOR_FILE --data SAMPLE --out DIR [--format skops|cloudpickle|pickle]
                      [--name NAME] [--trust] [--python PY]
    mlmanager diff A B [--json]                  # exit 0 identical, 1 different, 2 error (diff(1))
    mlmanager copy MODEL DEST [--tracking [--experiment NAME] [--run-id ID]] [--name NAME]

Failures raise the core's typed errors (the CLI maps InvalidError to 1, other errors to 2).
Heavy modules are imported by the command that runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mlmanager.cli.args import EXIT_OK
from mlmanager.core.errors import InvalidError
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.compare import compare_models
from mlmanager.core.sizes import format_size
from mlmanager.core.transfer.copy import copy_model_to
from mlmanager.core.transfer.export import export_folder, export_zip
from mlmanager.core.transfer.import_archive import import_archive
from mlmanager.core.transfer.package_estimator import build_package
from mlmanager.predict.estimator_runner import WorkerEstimatorRunner
from mlmanager.worker.errors import ModelRefusedError

EXIT_DIFFERENT = 1  # diff(1): the models differ


def _print(obj: Any, as_json: bool, text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(to_jsonable(obj, non_finite_as_text=True), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text + "\n")




# --------------------------------------------------------------------------------------------
# Commands


def cmd_export(args: argparse.Namespace) -> int:
    symlinks = "dereference" if args.dereference_links else "refuse"
    if args.zip:
        result = export_zip(args.model, args.zip, symlinks=symlinks, flat=args.flat,
                            overwrite=args.force)
    else:
        if args.flat or args.force:
            raise InvalidError("--flat and --force only apply to --zip")
        result = export_folder(args.model, args.to, symlinks=symlinks)
    _print({"path": str(result.path), "files": result.files, "bytes": result.bytes}, args.json,
           f"exported {result.files} files ({format_size(result.bytes)}) to {result.path}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    result = import_archive(args.archive, args.dest, name=args.name, allow_non_model=args.raw)
    try:
        data = {
            "path": str(result.path), "format": result.format, "files": result.files,
            "bytes": result.bytes, "is_model": result.is_model, "contents": result.contents,
            "skipped": result.skipped, "warnings": result.warnings,
            "flavors": result.document.flavor_names if result.document else None,
        }
        lines = [f"imported {result.files} files ({format_size(result.bytes)}) to {result.path}"]
        if result.document is not None:
            lines.append(f"  flavors: {', '.join(result.document.flavor_names) or 'none'}")
        lines += [f"  skipped: {s}" for s in result.skipped]
        lines += [f"  warning: {w}" for w in result.warnings]
        _print(data, args.json, "\n".join(lines))
    finally:
        if result.document is not None:
            result.document.close()
    return EXIT_OK


def cmd_package(args: argparse.Namespace) -> int:
    try:
        result = build_package(args.estimator, args.data, args.out, format=args.format,
                               name=args.name, trust=args.trust, python=args.python,
                               runner=WorkerEstimatorRunner(python=args.python))
    except ModelRefusedError as exc:
        report = exc.report
        if report is not None and getattr(report, "needs_trust", False) and not args.trust:
            raise ModelRefusedError(
                f"{exc.message}\nIf you trust this file, run again with --trust (it then runs "
                "with your permissions, inside the worker).", exc.path, report=report,
            ) from None
        raise
    doc = result.document
    run = result.run
    data = {
        "path": str(result.path), "format": args.format, "model_type": run.model_type,
        "source_format": run.source_format, "classification": run.classification,
        "trusted": run.trusted, "sha256": run.sha256, "input_kind": run.input_kind,
        "skops_trusted_types": run.skops_trusted_types,
        "signature": doc.signature.to_canonical() if doc.signature else None,
        "versions": run.versions, "warnings": result.warnings,
    }
    lines = [
        f"packaged {run.model_type} ({run.source_format}, {run.classification}"
        f"{', trusted' if run.trusted else ''}) as {args.format} in {result.path}",
    ]
    if doc.signature is not None:
        lines.append(f"  inputs:  {doc.signature.inputs.describe() if doc.signature.inputs else '-'}")
        lines.append(f"  outputs: {doc.signature.outputs.describe() if doc.signature.outputs else '-'}")
    lines += [f"  warning: {w}" for w in result.warnings]
    doc.close()
    _print(data, args.json, "\n".join(lines))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    comparison = compare_models(args.a, args.b)
    _print(comparison.to_json(), args.json, comparison.format())
    return EXIT_OK if comparison.identical else EXIT_DIFFERENT


def cmd_copy(args: argparse.Namespace) -> int:
    if not args.tracking and (args.experiment or args.run_id):
        raise InvalidError("--experiment and --run-id need --tracking")
    result = copy_model_to(
        args.model, args.dest, "tracking" if args.tracking else "folder", name=args.name,
        experiment=args.experiment, run_id=args.run_id,
        symlinks="dereference" if args.dereference_links else "refuse",
    )
    data = {"path": str(result.path), "layout": result.layout, "files": result.files,
            "bytes": result.bytes, "experiment_id": result.experiment_id,
            "experiment": result.experiment_name, "run_id": result.run_id, "uri": result.uri}
    text = f"copied {result.files} files ({format_size(result.bytes)}) to {result.path}"
    if result.run_id:
        text += (f"\n  experiment {result.experiment_name!r} ({result.experiment_id}), run "
                 f"{result.run_id}\n  load it with mlflow: {result.uri}")
    _print(data, args.json, text)
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Parser


def register(subparsers: Any) -> None:
    """Add ``export``, ``import``, ``package``, ``diff`` and ``copy`` to the CLI."""
    p = subparsers.add_parser("export", help="export a model folder to a .zip or another folder")
    p.add_argument("model", help="model folder (or its MLmodel file)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--zip", metavar="OUT.zip",
                       help="write a zip holding one folder named after the zip")
    where.add_argument("--to", metavar="DIR", help="copy to this new folder")
    p.add_argument("--flat", action="store_true", help="zip: files at the root, no top folder")
    p.add_argument("--dereference-links", action="store_true",
                   help="copy files that symlinks inside the model point to (default: refuse links)")
    p.add_argument("--force", action="store_true", help="zip: replace an existing zip")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("import", help="import a model from a .zip/.tar.gz safely")
    p.add_argument("archive")
    p.add_argument("dest", help="folder to import into (the model becomes DEST/NAME)")
    p.add_argument("--name", help="folder name (default: the archive's top folder or file name)")
    p.add_argument("--raw", action="store_true",
                   help="keep the files even when they are not an MLflow model (for inspection)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser(
        "package", help="make an MLflow model folder from an estimator file (.pkl/.joblib/.skops)"
    )
    p.add_argument("estimator", metavar="ESTIMATOR_FILE")
    p.add_argument("--data", required=True, metavar="SAMPLE",
                   help="sample input (CSV, Parquet, JSON or .npy): signature and example")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="the new model folder (or its parent, with --name)")
    p.add_argument("--format", choices=["skops", "cloudpickle", "pickle"], default="skops",
                   help="serialization format (default skops, MLflow's default)")
    p.add_argument("--name", help="create the model as DIR/NAME")
    p.add_argument("--trust", action="store_true",
                   help="load the estimator even if it contains code or imports outside the "
                        "allowlist (runs its code with your permissions, in the worker)")
    p.add_argument("--python", help="interpreter for the worker (its versions are recorded)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_package)

    p = subparsers.add_parser(
        "diff", help="compare two models (exit 0 identical, 1 different, 2 error)"
    )
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)

    p = subparsers.add_parser("copy", help="copy a model to a folder or into a tracking folder")
    p.add_argument("model")
    p.add_argument("dest", help="folder (the copy goes inside when it exists) or tracking folder")
    p.add_argument("--tracking", action="store_true",
                   help="DEST is a file-store tracking folder (mlruns): log the model in a run")
    p.add_argument("--experiment", help="--tracking: experiment name (created if missing)")
    p.add_argument("--run-id", help="--tracking: add to this existing run")
    p.add_argument("--name", help="folder / artifact name (default: the model's name)")
    p.add_argument("--dereference-links", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_copy)
