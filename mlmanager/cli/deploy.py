"""Deployment commands: ``check-deploy``, ``payload`` and ``openapi``.

* ``check-deploy MODEL [--target mlflow|azureml|databricks|all] [--json] [--verbose]``:
  exit 0 when no rule fails (warnings allowed), 1 when a rule fails, 2 when the model cannot be
  read.
* ``payload MODEL --target T [--input FILE] [--format json|curl|python|csv]
  [--orient split|records|instances|inputs] [--params JSON] [--url URL] [--check]``: the request
  body for T from FILE or the model's input example. ``--check`` validates FILE as a request for
  T instead of converting it (exit 1 when T would reject it).
* ``openapi MODEL [--target T] [--output FILE]``: an OpenAPI 3 document for the scoring endpoint.

Imports stay light at registration; the core is imported when a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
TARGET_CHOICES = ("mlflow", "azureml", "databricks")


def _write(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_check_deploy(args: argparse.Namespace) -> int:
    from mlmanager.core.deploy.targets import check_deploy

    targets = list(TARGET_CHOICES) if args.target == "all" else [args.target]
    report = check_deploy(args.model, targets)
    if args.json:
        _write(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        _write(report.format(verbose=args.verbose))
    return EXIT_INVALID if report.status == "fail" else EXIT_OK


def _parse_params(text: str | None) -> dict[str, Any] | None:
    from mlmanager.core.errors import InvalidError

    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidError(f"--params is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidError('--params must be a JSON object, e.g. \'{"threshold": 0.7}\'')
    return value


def cmd_payload(args: argparse.Namespace) -> int:
    from mlmanager.core.deploy.request_bodies import check_request, request_for_model
    from mlmanager.core.errors import InvalidError
    from mlmanager.core.model.mlmodel import load_model

    with load_model(args.model) as doc:
        if args.check:
            if not args.input:
                raise InvalidError("--check needs --input FILE (the request body to check)")
            with open(args.input, "rb") as fh:
                body = fh.read()
            check = check_request(doc, body, args.target)
            if args.format == "json":
                _write(json.dumps(check.to_json(), indent=2, ensure_ascii=False))
            else:
                _write(check.summary())
            return EXIT_OK if check.valid else EXIT_INVALID
        request = request_for_model(
            doc,
            args.target,
            input_path=args.input,
            orient=args.orient,
            params=_parse_params(args.params),
            max_rows=args.max_rows,
            encoding=args.encoding,
        )
        sys.stdout.write(request.render(args.format or "json", url=args.url))
        for note in request.notes:
            sys.stderr.write(f"note: {note}\n")
        if args.validate:
            check = check_request(doc, request.json_text(indent=None), args.target)
            if not check.valid:
                sys.stderr.write(check.summary() + "\n")
                return EXIT_INVALID
    return EXIT_OK


def cmd_openapi(args: argparse.Namespace) -> int:
    from mlmanager.core.deploy.openapi import build_openapi
    from mlmanager.core.errors import WriteError
    from mlmanager.core.model.mlmodel import load_model

    with load_model(args.model) as doc:
        document = build_openapi(doc, args.target)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise WriteError(f"cannot write the OpenAPI document: {exc.strerror or exc}", args.output) from None
    else:
        sys.stdout.write(text)
    return EXIT_OK


def register(subparsers: Any) -> None:
    """Add ``check-deploy``, ``payload`` and ``openapi`` to the CLI."""
    p = subparsers.add_parser(
        "check-deploy",
        help="will this model deploy to MLflow serving, Azure ML, Databricks? (rule by rule)",
    )
    p.add_argument("model")
    p.add_argument("--target", choices=[*TARGET_CHOICES, "all"], default="all")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--verbose", "-v", action="store_true", help="also list passing rules and sources")
    p.set_defaults(func=cmd_check_deploy)

    p = subparsers.add_parser("payload", help="the exact request to send a deployed model")
    p.add_argument("model")
    p.add_argument("--target", choices=TARGET_CHOICES, required=True)
    p.add_argument("--input", "-i", help="CSV, JSON or Parquet input (default: the model's input example)")
    p.add_argument("--format", "-f", choices=["json", "curl", "python", "csv"],
                   help="json (default), curl, python (requests) or csv; with --check: json or a text summary")
    p.add_argument("--orient", choices=["split", "records", "instances", "inputs"],
                   help="request form (default: split for tables, inputs for tensors)")
    p.add_argument("--params", help='inference params as JSON, e.g. \'{"threshold": 0.7}\'')
    p.add_argument("--url", help="endpoint URL for curl/python (default: a placeholder per target)")
    p.add_argument("--max-rows", type=int, default=1000, help="rows to include (default 1000)")
    p.add_argument("--encoding", default="utf-8", help="text encoding of a CSV input")
    p.add_argument("--validate", action="store_true",
                   help="also check the generated request with the target's rules (exit 1 if rejected)")
    p.add_argument("--check", action="store_true",
                   help="check --input as a request body for --target instead of converting it")
    p.set_defaults(func=cmd_payload)

    p = subparsers.add_parser("openapi", help="OpenAPI 3 document of the model's scoring endpoint")
    p.add_argument("model")
    p.add_argument("--target", choices=TARGET_CHOICES, default="mlflow")
    p.add_argument("--output", "-o", help="write to FILE instead of stdout")
    p.set_defaults(func=cmd_openapi)
