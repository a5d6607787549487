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

from mlmanager.core.errors import ModelReadError, UnreadableSignatureError
from mlmanager.predict.results import to_jsonable, write_predictions

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
IGNORE_SIGNATURE_HINT = (
    "MLflow cannot load a model whose signature cannot be read; fix the signature "
    "(`mlmanager signature set`), or pass --ignore-signature to predict without it"
)


def run_predict(args: argparse.Namespace) -> int:
    from mlmanager.core.inputs.validation import validate_file
    from mlmanager.core.model.mlmodel import load_model
    from mlmanager.predict.session import MODEL, PredictionSession, runtime_for
    from mlmanager.worker.errors import ModelRefusedError, WorkerError

    params = _parse_params(args.params)
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
                    _print_json({"valid": False, **result.to_json()})
                else:
                    sys.stderr.write(result.summary() + "\n")
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
        _print_json(
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


def _parse_params(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ModelReadError(f"--params is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ModelReadError("--params must be a JSON object, e.g. '{\"threshold\": 0.7}'")
    return value


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
        _print_json(
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


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
