"""CLI: registered models on a tracking server, in a file store or in ``mlflow.db``.

::

    mlmanager registry list [--server URI] [--filter EXPR] [--json]
    mlmanager registry show NAME [--server URI] [--json]
    mlmanager registry download NAME (VERSION|@ALIAS) DEST [--server URI]
    mlmanager registry register MODEL NAME [--server URI] [--description D] [--tag K=V]... [--json]
    mlmanager registry alias NAME ALIAS VERSION [--server URI]      (--delete: NAME ALIAS)
    mlmanager registry tag NAME [VERSION] KEY=VALUE [--server URI]  (--delete: NAME [VERSION] KEY)
    mlmanager registry cache [--prune] [--older-than DAYS] [--max-size SIZE] [--dry-run]
                             [--cache DIR] [--json]

URI: an ``http(s)://`` server, a file-store folder, an ``mlflow.db`` path, ``sqlite:///`` or
``file://``; default ``$MLFLOW_TRACKING_URI``. Credentials as MLflow's client reads them
(``MLFLOW_TRACKING_USERNAME``/``PASSWORD``, ``MLFLOW_TRACKING_TOKEN``, ...). Exit codes: 0 done,
1 refused (a local registry is read-only, a bad filter), 2 the server or store cannot be read.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from mlmanager.cli.args import print_json
from mlmanager.core.errors import InvalidError
from mlmanager.core.library.registry.entities import registry_to_json
from mlmanager.core.library.registry.opening import open_registry
from mlmanager.core.library.registry.source import list_all, resolve_version
from mlmanager.core.remote.download import CacheEntry, DownloadCache
from mlmanager.core.sizes import format_size, parse_size
from mlmanager.core.transfer.export import export_folder

EXIT_OK = 0
DEFAULT_PRUNE_DAYS = 30.0  # --prune alone: what `env prune` removes by default too

SERVER_HELP = ("an http(s):// tracking server, a file-store folder, an mlflow.db path, "
               "sqlite:/// or file:// (default: $MLFLOW_TRACKING_URI)")


def _open(args: argparse.Namespace):  # noqa: ANN202 - a RegistrySource
    return open_registry(args.server)


def _progress_printer() -> Any:
    """Progress on stderr when it is a terminal (one line, rewritten)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None, item: str) -> None:
        pct = f"{100 * done / total:5.1f}%" if total else ""
        sys.stderr.write(f"\r{pct} {format_size(done)} {item[-50:]:<50}")
        sys.stderr.flush()

    return show


# --------------------------------------------------------------------------------------------
# Commands


def cmd_list(args: argparse.Namespace) -> int:
    source = _open(args)
    models = list_all(source, args.filter)
    if args.json:
        print_json(registry_to_json(models))
        return EXIT_OK
    rows = [("NAME", "VERSIONS", "ALIASES", "TAGS", "DESCRIPTION")]
    for m in models:
        rows.append((
            m.name,
            str(len(m.versions)) + (f" (latest {m.versions[-1].version})" if m.versions else ""),
            " ".join(f"@{a}={v}" for a, v in m.aliases.items()) or "-",
            " ".join(f"{k}={v}" for k, v in m.tags.items()) or "-",
            (m.description.splitlines() or ["-"])[0][:60],
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(r[:4], widths)), r[4]]).rstrip()
             for r in rows]
    n = len(models)
    lines.append(f"\n{n} registered model{'s' if n != 1 else ''} in {source.location}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    source = _open(args)
    model = source.get_registered_model(args.name)
    if args.json:
        print_json(model.to_json())
        return EXIT_OK
    lines = [f"{model.name}  ({source.location})"]
    if model.description:
        lines.append(f"  description: {model.description}")
    for k, v in model.tags.items():
        lines.append(f"  tag {k} = {v}")
    for a, v in model.aliases.items():
        lines.append(f"  @{a} -> version {v}")
    lines.append(f"  {len(model.versions)} version{'s' if len(model.versions) != 1 else ''}:")
    for v in model.versions:
        badges = " ".join(f"@{a}" for a in v.aliases)
        lines.append(f"    {v.version:>4}  {v.status:<8} {v.source}  {badges}".rstrip())
        if v.run_id:
            lines.append(f"          run {v.run_id}")
        if v.description:
            lines.append(f"          {v.description}")
        for k, val in v.tags.items():
            lines.append(f"          tag {k} = {val}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def cmd_download(args: argparse.Namespace) -> int:
    source = _open(args)
    version = resolve_version(source, args.name, args.version)
    progress = _progress_printer()
    folder = source.fetch_version(version, progress=progress)
    result = export_folder(folder, args.dest)
    if progress is not None:
        sys.stderr.write("\n")
    alias = f" ({args.version})" if args.version.startswith("@") else ""
    sys.stdout.write(f"{args.name} version {version.version}{alias}: {result.files} files "
                     f"({format_size(result.bytes)}) in {result.path}\n")
    return EXIT_OK


def _key_values(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise InvalidError(f"a tag reads KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def cmd_register(args: argparse.Namespace) -> int:
    source = _open(args)
    tags = _key_values(args.tag or [])
    progress = _progress_printer()
    version = source.register_model_folder(args.model, args.name, description=args.description,
                                           tags=tags or None, progress=progress)
    if progress is not None:
        sys.stderr.write("\n")
    if args.json:
        print_json({"name": version.name, "version": version.version})
    else:
        sys.stdout.write(f"registered {args.model} as {version.name} version {version.version} "
                         f"on {source.location} ({version.source})\n")
    return EXIT_OK


def cmd_alias(args: argparse.Namespace) -> int:
    source = _open(args)
    alias = args.alias.lstrip("@")
    if args.delete:
        if args.version is not None:
            raise InvalidError("--delete takes NAME ALIAS only")
        source.delete_alias(args.name, alias)
        sys.stdout.write(f"deleted @{alias} of {args.name}\n")
    else:
        if args.version is None:
            raise InvalidError("give the VERSION the alias points to (or --delete)")
        source.set_alias(args.name, alias, args.version)
        sys.stdout.write(f"@{alias} of {args.name} -> version {args.version}\n")
    return EXIT_OK


def cmd_tag(args: argparse.Namespace) -> int:
    items = list(args.items)
    if len(items) not in (1, 2):
        raise InvalidError("usage: registry tag NAME [VERSION] KEY=VALUE (or --delete ... KEY)")
    version = items[0] if len(items) == 2 else None
    last = items[-1]
    source = _open(args)
    target = f"{args.name} version {version}" if version else args.name
    if args.delete:
        source.delete_tag(args.name, last, version)
        sys.stdout.write(f"deleted tag {last!r} of {target}\n")
    else:
        (key, value), = _key_values([last]).items()
        source.set_tag(args.name, key, value, version)
        sys.stdout.write(f"{target}: {key} = {value}\n")
    return EXIT_OK


def _entry_line(entry: CacheEntry) -> str:
    used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used))
    what = f"{entry.server}  {entry.artifact_uri}" if entry.complete else "(unfinished download)"
    return f"{format_size(entry.size_bytes):>10}  {used}  {entry.folder.name[:12]}  {what}"


def cmd_cache(args: argparse.Namespace) -> int:
    """The download cache: list its entries, or --prune them by age and/or total size."""
    cache = DownloadCache(args.cache)
    if args.older_than is not None and args.older_than < 0:
        raise InvalidError("--older-than must be zero or more days")
    if not (args.prune or args.dry_run):
        if args.older_than is not None or args.max_size is not None:
            raise InvalidError("--older-than and --max-size choose what --prune removes: add "
                               "--prune (or --dry-run to see what it would remove)")
        entries = cache.entries()
        if args.json:
            print_json({"root": str(cache.root), "entries": [e.to_json() for e in entries],
                        "size_bytes": sum(e.size_bytes for e in entries)})
        else:
            lines = [_entry_line(e) for e in sorted(entries, key=lambda e: -e.last_used)]
            lines.append(f"{len(entries)} download(s), "
                         f"{format_size(sum(e.size_bytes for e in entries))} in {cache.root}")
            sys.stdout.write("\n".join(lines) + "\n")
        return EXIT_OK
    older_than = args.older_than
    if older_than is None and args.max_size is None:
        older_than = DEFAULT_PRUNE_DAYS
    result = cache.prune(older_than_days=older_than, max_bytes=args.max_size,
                         dry_run=args.dry_run)
    if args.json:
        print_json({"removed": [e.to_json() for e in result.removed],
                    "in_use": [e.to_json() for e in result.in_use],
                    "freed_bytes": result.freed_bytes, "kept_bytes": result.kept_bytes,
                    "dry_run": args.dry_run})
        return EXIT_OK
    verb = "would remove" if args.dry_run else "removed"
    lines = [f"{verb} {_entry_line(e).lstrip()}" for e in result.removed]
    lines += [f"in use (being downloaded), kept: {_entry_line(e).lstrip()}"
              for e in result.in_use]
    lines.append(f"{verb} {len(result.removed)} download(s), {format_size(result.freed_bytes)}; "
                 f"{format_size(result.kept_bytes)} kept in {cache.root}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# --------------------------------------------------------------------------------------------
# Parser


def register(sub: Any) -> None:
    p = sub.add_parser("registry", help="registered models on a tracking server, file store or "
                       "mlflow.db: list, show, download, register, alias, tag; the download cache")
    rsub = p.add_subparsers(dest="registry_command", metavar="ACTION", required=True,
                            parser_class=type(p))

    def action(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        a = rsub.add_parser(name, help=help_text)
        a.add_argument("--server", metavar="URI", help=SERVER_HELP)
        a.set_defaults(func=func)
        return a

    a = action("list", "every registered model with its versions and aliases", cmd_list)
    a.add_argument("--filter", metavar="EXPR",
                   help="MLflow search grammar, e.g. \"name LIKE 'churn%%'\" or "
                   "\"tags.team = 'risk'\"")
    a.add_argument("--json", action="store_true")
    a = action("show", "one registered model: versions, aliases, tags, sources", cmd_show)
    a.add_argument("name")
    a.add_argument("--json", action="store_true")
    a = action("download", "a version's model files into DEST (DEST/MLmodel at its top)",
               cmd_download)
    a.add_argument("name")
    a.add_argument("version", metavar="VERSION|@ALIAS")
    a.add_argument("dest")
    a = action("register", "publish a local model folder as a new version (servers only)",
               cmd_register)
    a.add_argument("model", help="a model folder (or its MLmodel file)")
    a.add_argument("name", help="the registered model (created when it does not exist)")
    a.add_argument("--description")
    a.add_argument("--tag", action="append", metavar="K=V", help="a version tag (repeatable)")
    a.add_argument("--json", action="store_true", help='print {"name", "version"}')
    a = action("alias", "point an alias at a version, or --delete it", cmd_alias)
    a.add_argument("name")
    a.add_argument("alias")
    a.add_argument("version", nargs="?")
    a.add_argument("--delete", action="store_true")
    a = action("tag", "set (or --delete) a tag of a registered model or of one version", cmd_tag)
    a.add_argument("name")
    a.add_argument("items", nargs="+", metavar="[VERSION] KEY=VALUE")
    a.add_argument("--delete", action="store_true")
    a = rsub.add_parser("cache", help="the download cache (versions fetched from servers): "
                        "list it, or --prune it by age and/or size")
    a.set_defaults(func=cmd_cache)
    a.add_argument("--cache", metavar="DIR", help="the download cache (default: "
                   "$MLMANAGER_DOWNLOAD_CACHE or ~/.cache/mlmanager/downloads)")
    a.add_argument("--prune", action="store_true",
                   help=f"remove downloads (alone: those unused for {DEFAULT_PRUNE_DAYS:g} days)")
    a.add_argument("--older-than", type=float, metavar="DAYS",
                   help="with --prune: remove downloads unused for DAYS days")
    a.add_argument("--max-size", type=_size, metavar="SIZE",
                   help="with --prune: then remove the least recently used until the cache "
                   "fits in SIZE (e.g. 5G, 500M)")
    a.add_argument("--dry-run", action="store_true", help="say what --prune would remove")
    a.add_argument("--json", action="store_true")
