"""``mlmanager predict``: validate the input, then predict in the isolated worker.

The worker starts (and imports scikit-learn, scans and loads the model) while this process
reads and validates the input, so a cold prediction costs little more than the slower of the
two. Model code never runs in this process.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mlmanager.cli.args import EXIT_INVALID, EXIT_OK, add_params_argument, print_json, write_line
from mlmanager.cli.validate import format_validation
from mlmanager.core.errors import ModelReadError, UnreadableSignatureError
from mlmanager.core.inputs.validation import validate_file
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.mlmodel import load_model
from mlmanager.predict.results import write_predictions
from mlmanager.predict.session import MODEL, PredictionSession, runtime_for
from mlmanager.worker.errors import ModelRefusedError, WorkerError

IGNORE_SIGNATURE_HINT = (
    "MLflow cannot load a model whose signature cannot be read; fix the signature "
    "(`mlmanager signature set`), or pass --ignore-signature to predict without it"
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("predict", help="validate an input, then predict in an isolated worker")
    p.add_argument("model")
    p.add_argument("--input", "-i", required=True)
    p.add_argument("--output", "-o", help="write predictions to FILE.csv or FILE.json")
    p.add_argument("--mode", choices=["serving", "python"], default="serving")
    add_params_argument(p)
    p.add_argument(
        "--trust",
        action="store_true",
        help="run a model whose file contains code or imports outside the allowlist "
        "(runs the model's code with your permissions, in the worker)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    p.add_argument(
        "--env", default=None, metavar="app|model|PATH",
        help="where the model runs: app (this app's Python, the default), model (the model's own "
        "environment, built with `mlmanager env build MODEL`), or the path of a Python interpreter",
    )
    p.add_argument("--python", help="the same as --env PATH")
    p.add_argument(
        "--ignore-signature",
        action="store_true",
        help="predict even though the model's signature cannot be read (the input goes to the "
        "model unchecked; MLflow itself cannot load such a model)",
    )
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    params = args.params
    with load_model(args.model) as doc:
        if doc.root is None:
            raise ModelReadError(
                "predicting needs a model folder; extract the zip first "
                "(`mlmanager import ARCHIVE DEST`)",
                args.model,
            )
        model_dir = str(doc.root)
        runtime = runtime_for(args.env or args.python, model_dir)
        session = PredictionSession(model_dir, runtime, timeout=args.timeout)
        try:
            try:
                doc.readable_signature(args.model)
            except UnreadableSignatureError as exc:
                if not args.ignore_signature:
                    raise UnreadableSignatureError(f"{exc.message}\n{IGNORE_SIGNATURE_HINT}", exc.path) from None
            session.start()  # the worker loads the model while this process reads the input
            result = validate_file(doc, args.input, mode=args.mode, encoding=args.encoding, params=params,
                                   ignore_signature=args.ignore_signature)
            if not result.valid:
                if args.json:
                    print_json({"valid": False, **result.to_json()})
                else:
                    write_line(format_validation(result), sys.stderr)
                return EXIT_INVALID
            try:
                info = session.load()
            except ModelRefusedError as exc:
                report = exc.report
                if args.trust and report is not None and report.needs_trust and report.sha256:
                    session.trust(report.sha256)
                    info = session.load()
                else:
                    return _refused(exc, args.json)
            prediction = session.predict(result.data, params=result.params or None)
        except WorkerError as exc:
            if exc.mismatch and runtime.kind != MODEL:
                exc.message += ("\nRun it in the model's own environment: `mlmanager env build MODEL`, "
                                "then predict with --env model.")
            raise
        finally:
            session.close()

    predictions = to_jsonable(prediction.predictions)
    warnings = [w.message for w in result.warnings] + [str(w) for w in prediction.warnings]
    if args.output:
        write_predictions(prediction.predictions, Path(args.output))
    if args.json:
        print_json(
            {
                "predictions": predictions,
                "mode": result.mode,
                "warnings": warnings,
                "safety": {
                    "classification": info.classification,
                    "imports": list(info.imports),
                    "trusted": info.trusted,
                },
                "seconds": round(prediction.seconds, 6),
                "ran_by": prediction.ran_by.to_dict(),
            }
        )
    else:
        if not args.output:
            sys.stdout.write(json.dumps({"predictions": predictions}, allow_nan=False) + "\n")
        for w in warnings:
            sys.stderr.write(f"warning: {w}\n")
        where = f" -> {args.output}" if args.output else ""
        sys.stderr.write(
            f"{_count(predictions)} prediction(s) in {prediction.seconds:.3f} s "
            f"[{info.classification}{', trusted' if info.trusted else ''}]{where}\n"
            f"ran by {prediction.ran_by.text()}\n"
        )
    return EXIT_OK


def _refused(exc: Exception, as_json: bool) -> int:
    report = getattr(exc, "report", None)
    imports = list(getattr(report, "imports", ()) or ())
    classification = getattr(report, "classification", "REFUSED")
    needs_trust = bool(getattr(report, "needs_trust", False))
    hint = (
        "Pass --trust to run it anyway: trusting runs the model's code with your permissions "
        "(inside the limited worker process)."
        if needs_trust
        else "This file cannot be loaded, even with --trust."
    )
    if as_json:
        print_json(
            {
                "refused": True,
                "message": str(exc),
                "safety": {"classification": classification, "imports": imports},
                "hint": hint,
            }
        )
    else:
        sys.stderr.write(f"mlmanager: {exc}\n")
        if imports:
            sys.stderr.write("imports in the model file:\n")
            for name in imports:
                sys.stderr.write(f"  {name}\n")
        sys.stderr.write(hint + "\n")
    return EXIT_INVALID


def _count(predictions: Any) -> int:
    if isinstance(predictions, list):
        return len(predictions)
    if isinstance(predictions, dict):
        first = next(iter(predictions.values()), [])
        return len(first) if isinstance(first, list) else 1
    return 1
