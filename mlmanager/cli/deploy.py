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

from mlmanager.cli.args import EXIT_INVALID, EXIT_OK, add_params_argument, write_line
from mlmanager.core.deploy.openapi import build_openapi
from mlmanager.core.deploy.request_bodies import check_request, request_for_model
from mlmanager.core.deploy.targets import KIND_TITLES, NOTES, check_deploy
from mlmanager.core.errors import InvalidError, WriteError
from mlmanager.core.model.mlmodel import load_model

TARGET_CHOICES = ("mlflow", "azureml", "databricks")


def cmd_check_deploy(args: argparse.Namespace) -> int:
    targets = list(TARGET_CHOICES) if args.target == "all" else [args.target]
    report = check_deploy(args.model, targets)
    if args.json:
        write_line(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        write_line(format_deploy_report(report, verbose=args.verbose))
    return EXIT_INVALID if report.status == "fail" else EXIT_OK


def cmd_payload(args: argparse.Namespace) -> int:
    with load_model(args.model) as doc:
        if args.check:
            if not args.input:
                raise InvalidError("--check needs --input FILE (the request body to check)")
            with open(args.input, "rb") as fh:
                body = fh.read()
            check = check_request(doc, body, args.target)
            if args.format == "json":
                write_line(json.dumps(check.to_json(), indent=2, ensure_ascii=False))
            else:
                write_line(format_request_check(check))
            return EXIT_OK if check.valid else EXIT_INVALID
        request = request_for_model(
            doc,
            args.target,
            input_path=args.input,
            orient=args.orient,
            params=args.params,
            max_rows=args.max_rows,
            encoding=args.encoding,
        )
        sys.stdout.write(request.render(args.format or "json", url=args.url))
        for note in request.notes:
            sys.stderr.write(f"note: {note}\n")
        if args.validate:
            check = check_request(doc, request.json_text(indent=None), args.target)
            if not check.valid:
                write_line(format_request_check(check), sys.stderr)
                return EXIT_INVALID
    return EXIT_OK


def cmd_openapi(args: argparse.Namespace) -> int:
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
    add_params_argument(p)
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


def format_deploy_report(report: Any, verbose: bool = False) -> str:
    """A ``DeployReport`` as text: per target and kind, each rule's verdict and fix."""
    marks = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}
    lines = [f"{report.location}: {report.status.upper()}"]
    for t in report.targets:
        for kind in t.kinds:
            lines.append("")
            lines.append(f"{KIND_TITLES[(t.target, kind)]} [{t.target}/{kind}]: {t.kind_status(kind).upper()}")
            for o in t.outcomes:
                if o.rule.kind != kind:
                    continue
                if not verbose and o.status == "pass" and not o.result.applicable:
                    continue
                lines.append(f"  {marks[o.status]} {o.rule.id}: {o.result.reason}")
                if o.result.fix and o.status != "pass":
                    lines.append(f"       fix ({o.result.fix_target or 'deployment'}): {o.result.fix}")
                if verbose:
                    lines.append(f"       source: {o.rule.source}")
            for text, _src in NOTES.get((t.target, kind), []):
                lines.append(f"  note {text}")
    return "\n".join(lines)


def format_request_check(check: Any) -> str:
    """A ``RequestCheck`` as text: accepted or rejected, each problem with its fix."""
    head = "accepted" if check.valid else f"rejected: {len(check.errors)} problem(s)"
    lines = [f"{check.target}: {head} [{check.semantics}]"]
    for p in check.errors:
        where = f"[{p.target} {p.column}] " if p.column is not None else ""
        lines.append(f"  error   {where}{p.message.splitlines()[0]}")
        if p.fix:
            lines.append(f"          fix: {p.fix}")
    for p in check.warnings:
        lines.append(f"  warning {p.message.splitlines()[0]}")
    lines.extend(f"  note    {n}" for n in check.notes)
    return "\n".join(lines)
