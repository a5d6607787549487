"""Find the globals a pickle imports without unpickling it, and classify skops files.

``list_pickle_globals`` is our own opcode walk (stdlib ``pickletools.genops``). Unlike
picklescan's backward walk it keeps a *shadow stack*: strings are tracked as values, everything
else as an opaque marker, and the memo is updated exactly as the unpickler does (``MEMOIZE``
uses ``len(memo)``, ``PUT``/``GET`` explicit keys, ``DUP``, ``POP`` of a mark...). So a
``STACK_GLOBAL`` resolves to the strings the real unpickler would see, and PUT/MEMOIZE memo
confusion (picklescan #14) does not fool it. Only strings are kept, so memory stays small.

When picklescan is importable its verdict is merged in as a second opinion (union of globals,
its Dangerous list added to ours). Either way the load itself is guarded by the restricted
unpickler, which is authoritative.
"""

from __future__ import annotations

import codecs
import io
import pickle
import pickletools
import struct
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Callable

from mlmanager.core.verdict import (
    SafetyReport,
    classify_globals,
    classify_skops_types,
)
from mlmanager.worker.versions import package_version

ProgressFn = Callable[[float, str], None]
PICKLESCAN_MAX_OPS = 200_000

_OTHER = object()  # any non-string stack value
_MAX_TRACKED_STR = 1024

# Argument layouts, derived from pickletools' opcode table so they match the unpickler.
_FIXED, _LEN1, _LEN4S, _LEN4U, _LEN8, _LINE, _LINE2, _NOARG = range(8)
_ARG_KIND = {
    pickletools.TAKEN_FROM_ARGUMENT1: _LEN1,
    pickletools.TAKEN_FROM_ARGUMENT4: _LEN4S,
    pickletools.TAKEN_FROM_ARGUMENT4U: _LEN4U,
    pickletools.TAKEN_FROM_ARGUMENT8U: _LEN8,
    pickletools.UP_TO_NEWLINE: _LINE,
}
# What an opcode does beyond its generic stack effect.
(_GENERIC, _STR_UTF8, _STR_LATIN1, _STR_REPR, _STR_RAWUNI, _STACK_GLOBAL, _GLOBAL, _INST,
 _PUT, _MEMOIZE, _GET, _MARK, _DUP, _POP, _EXT, _PROTO, _STOP) = range(17)
_SPECIAL = {
    "SHORT_BINUNICODE": _STR_UTF8, "BINUNICODE": _STR_UTF8, "BINUNICODE8": _STR_UTF8,
    "SHORT_BINSTRING": _STR_LATIN1, "BINSTRING": _STR_LATIN1, "STRING": _STR_REPR,
    "UNICODE": _STR_RAWUNI, "STACK_GLOBAL": _STACK_GLOBAL, "GLOBAL": _GLOBAL, "INST": _INST,
    "PUT": _PUT, "BINPUT": _PUT, "LONG_BINPUT": _PUT, "MEMOIZE": _MEMOIZE, "GET": _GET,
    "BINGET": _GET, "LONG_BINGET": _GET, "MARK": _MARK, "DUP": _DUP, "POP": _POP,
    "EXT1": _EXT, "EXT2": _EXT, "EXT4": _EXT, "PROTO": _PROTO, "STOP": _STOP,
}


_STRUCT = {"uint1": "<B", "uint2": "<H", "int4": "<i", "uint4": "<I", "uint8": "<Q", "float8": "<d"}


_LEN_FORMAT = {_LEN1: "<B", _LEN4S: "<i", _LEN4U: "<I", _LEN8: "<Q"}


def _build_table() -> dict[int, tuple[str, int, int, str, int, int, bool, int]]:
    """opcode byte -> (name, special, arg kind, struct format, its size, popped, pops to
    mark, pushed). For length-prefixed arguments the format is the length's."""
    table = {}
    for op in pickletools.opcodes:
        arg = op.arg
        if arg is None:
            kind, fmt = _NOARG, ""
        elif arg.n >= 0:
            kind, fmt = _FIXED, _STRUCT[arg.name]
            assert struct.calcsize(fmt) == arg.n
        elif arg.name == "stringnl_noescape_pair":
            kind, fmt = _LINE2, ""
        else:
            kind = _ARG_KIND[arg.n]
            fmt = _LEN_FORMAT.get(kind, "")
        before = list(op.stack_before)
        to_mark = pickletools.markobject in before
        plain = before.index(pickletools.markobject) if to_mark else len(before)
        table[ord(op.code.encode("latin-1"))] = (
            op.name, _SPECIAL.get(op.name, _GENERIC), kind, fmt,
            struct.calcsize(fmt) if fmt else 0, plain, to_mark,
            len(op.stack_after),
        )
    return table


_TABLE = _build_table()


class _ParseError(Exception):
    pass


@dataclass
class PickleGlobals:
    """Result of the opcode walk."""

    globals: set[tuple[str, str]] = field(default_factory=set)
    error: str | None = None  # the stream stopped parsing (truncated, corrupt tail...)
    not_a_pickle: bool = False  # nothing parsed at all
    n_ops: int = 0
    n_pickles: int = 0


def list_pickle_globals(
    data: bytes, progress: ProgressFn | None = None, progress_every: int = 250_000
) -> PickleGlobals:
    """Walk every pickle in ``data`` (stacked pickles included) and collect its imports.

    A native opcode walk (about 4x faster than ``pickletools.genops``, which the tests use as
    the reference) over a shadow stack that only remembers strings.
    """
    result = PickleGlobals()
    if not data:
        result.not_a_pickle = True
        result.error = "empty file"
        return result
    memo: dict[int, object] = {}
    pos = 0
    end = len(data)
    unpack = struct.unpack_from
    found = result.globals
    while pos < end:
        stack: list[object] = []
        marks: list[int] = []
        ops_before = result.n_ops
        try:
            while True:
                if pos >= end:
                    raise _ParseError("pickle exhausted before seeing STOP")
                code = data[pos]
                entry = _TABLE.get(code)
                if entry is None:
                    raise _ParseError(f"at position {pos}, opcode {bytes([code])!r} unknown")
                name, special, kind, fmt, size, plain, to_mark, pushed = entry
                pos += 1
                result.n_ops += 1
                if progress is not None and result.n_ops % progress_every == 0:
                    progress(pos / end, f"scanned {result.n_ops:,} opcodes")
                # -- read the argument
                arg: object = None
                if kind == _FIXED:
                    if pos + size > end:
                        raise _ParseError(f"truncated argument of {name}")
                    if special in (_PUT, _GET, _EXT, _PROTO):
                        arg = unpack(fmt, data, pos)[0]
                    pos += size
                elif fmt:  # a length-prefixed argument
                    if pos + size > end:
                        raise _ParseError(f"truncated length of {name}")
                    n = unpack(fmt, data, pos)[0]
                    pos += size
                    if n < 0:
                        raise _ParseError(f"{name} has a negative byte count")
                    if pos + n > end:
                        raise _ParseError(f"{name} data runs past the end")
                    if special in (_STR_UTF8, _STR_LATIN1) and n <= _MAX_TRACKED_STR:
                        raw = data[pos:pos + n]
                        arg = raw.decode("utf-8", "surrogatepass") if special == _STR_UTF8 else raw.decode("latin-1")
                    pos += n
                elif kind in (_LINE, _LINE2):
                    lines = []
                    for _ in range(2 if kind == _LINE2 else 1):
                        nl = data.find(b"\n", pos)
                        if nl < 0:
                            raise _ParseError(f"no newline found for {name}")
                        lines.append(data[pos:nl])
                        pos = nl + 1
                    arg = lines
                # -- apply the stack effect
                if special == _GENERIC:
                    if to_mark:
                        if not marks:
                            raise _ParseError(f"{name} without a MARK")
                        del stack[marks.pop():]
                    if plain:
                        floor = marks[-1] if marks else 0
                        if len(stack) - floor < plain:
                            raise _ParseError(f"stack underflow at {name}")
                        del stack[-plain:]
                    if pushed:
                        stack.append(_OTHER)
                elif special in (_STR_UTF8, _STR_LATIN1):
                    stack.append(arg if arg is not None else _OTHER)
                elif special == _STR_REPR:
                    stack.append(_repr_string(arg[0]))  # type: ignore[index]
                elif special == _STR_RAWUNI:
                    text = arg[0].decode("raw-unicode-escape")  # type: ignore[index]
                    stack.append(text if len(text) <= _MAX_TRACKED_STR else _OTHER)
                elif special == _STACK_GLOBAL:
                    floor = marks[-1] if marks else 0
                    if len(stack) - floor < 2:
                        raise _ParseError("stack underflow at STACK_GLOBAL")
                    gname = stack.pop()
                    module = stack.pop()
                    found.add((
                        module if isinstance(module, str) else "unknown",
                        gname if isinstance(gname, str) else "unknown",
                    ))
                    stack.append(_OTHER)
                elif special in (_GLOBAL, _INST):
                    module_b, name_b = arg  # type: ignore[misc]
                    found.add((module_b.decode("utf-8"), name_b.decode("utf-8")))
                    if special == _INST:
                        if not marks:
                            raise _ParseError("INST without a MARK")
                        del stack[marks.pop():]
                    stack.append(_OTHER)
                elif special in (_PUT, _MEMOIZE):
                    floor = marks[-1] if marks else 0
                    if len(stack) <= floor:
                        raise _ParseError(f"{name} on an empty stack")
                    key = len(memo) if special == _MEMOIZE else _memo_key(arg)
                    memo[key] = stack[-1]
                elif special == _GET:
                    key = _memo_key(arg)
                    if key not in memo:
                        raise _ParseError(f"memo key {key} was never stored")
                    stack.append(memo[key])
                elif special == _MARK:
                    marks.append(len(stack))
                elif special == _DUP:
                    floor = marks[-1] if marks else 0
                    if len(stack) <= floor:
                        raise _ParseError("DUP on an empty stack")
                    stack.append(stack[-1])
                elif special == _POP:
                    floor = marks[-1] if marks else 0
                    if len(stack) > floor:
                        stack.pop()
                    elif marks:
                        del stack[marks.pop():]
                    else:
                        raise _ParseError("POP on an empty stack")
                elif special == _EXT:
                    found.add(("copyreg", f"_extension_registry[{arg}]"))
                    stack.append(_OTHER)
                elif special == _PROTO:
                    if not isinstance(arg, int) or arg > pickle.HIGHEST_PROTOCOL:
                        raise _ParseError(f"unsupported pickle protocol {arg}")
                elif special == _STOP:
                    floor = marks[-1] if marks else 0
                    if len(stack) - floor < 1:
                        raise _ParseError("STOP on an empty stack")
                    break
            result.n_pickles += 1
        except (_ParseError, UnicodeDecodeError, ValueError, struct.error) as exc:
            if result.n_ops - ops_before <= 1 and result.n_pickles == 0:
                result.not_a_pickle = True
            result.error = f"{'not a pickle' if result.not_a_pickle else 'cannot parse'}: {exc}"
            break
    return result


def _memo_key(arg: object) -> int:
    if isinstance(arg, int):
        return arg
    try:
        return int(arg[0])  # type: ignore[index]
    except (ValueError, TypeError, IndexError):
        raise _ParseError("invalid memo key") from None


def _repr_string(raw: bytes) -> object:
    for quote in (b'"', b"'"):
        if raw.startswith(quote):
            if len(raw) < 2 or not raw.endswith(quote):
                raise _ParseError("STRING quote not found at both ends")
            value = codecs.escape_decode(raw[1:-1])[0]
            text = value.decode("latin-1")
            return text if len(text) <= _MAX_TRACKED_STR else _OTHER
    raise _ParseError("STRING without quotes")


def picklescan_opinion(data: bytes) -> tuple[set[tuple[str, str]], set[tuple[str, str]], bool, str]:
    """picklescan's globals, its Dangerous subset and scan_err; empty when not installed."""
    try:
        import logging

        from picklescan import scanner as ps
    except ImportError:
        return set(), set(), False, ""
    logging.getLogger("picklescan").setLevel(logging.CRITICAL)
    try:
        res = ps.scan_pickle_bytes(io.BytesIO(data), "model", multiple_pickles=True)
    except Exception as exc:  # a scanner bug must not hide the file: treat as a parse error
        return set(), set(), True, f"picklescan {getattr(ps, '__version__', '')}: {exc}"
    found = {(g.module, g.name) for g in res.globals}
    dangerous = {(g.module, g.name) for g in res.globals if g.safety.value == "dangerous"}
    found_version = package_version("picklescan")
    label = f"picklescan {found_version}" if found_version else "picklescan"
    return found, dangerous, bool(res.scan_err), label


def scan_pickle(
    data: bytes,
    allowlist: Container[tuple[str, str]],
    *,
    file: str | None = None,
    sha256: str | None = None,
    use_picklescan: bool = True,
    progress: ProgressFn | None = None,
) -> SafetyReport:
    """Classify pickle bytes against ``allowlist`` (our walk, plus picklescan when present)."""
    ours = list_pickle_globals(data, progress)
    found = set(ours.globals)
    extra: set[tuple[str, str]] = set()
    error: str | bool = ours.error or False
    scanners = ["mlmanager genops"]
    if use_picklescan and not ours.not_a_pickle:
        if ours.n_ops > PICKLESCAN_MAX_OPS:
            # picklescan keeps every opcode in a list (~140 bytes and ~4 us each): on
            # opcode-heavy files our walk and the restricted unpickler stand alone.
            scanners.append(f"picklescan skipped ({ours.n_ops:,} opcodes)")
        else:
            ps_found, ps_dangerous, ps_err, label = picklescan_opinion(data)
            if label:
                scanners.append(label)
            found |= ps_found
            extra |= ps_dangerous
            if ps_err and not error:
                error = "picklescan could not parse the whole stream"
    return classify_globals(
        found, error, allowlist, not_a_pickle=ours.not_a_pickle, extra_dangerous=extra,
        file=file, sha256=sha256, size=len(data), scanner=" + ".join(scanners),
    )


def scan_skops(
    data: bytes,
    app_trusted: Iterable[str],
    *,
    mlmodel_trusted: Iterable[str] | None = None,
    file: str | None = None,
    sha256: str | None = None,
) -> SafetyReport:
    """Classify a skops zip with ``skops.io.get_untrusted_types`` (no object is constructed)."""
    import skops.io as sio  # ImportError handled by the caller

    error: str | None = None
    types: list[str] = []
    if not data:
        error = "empty file"
    else:
        try:
            types = list(sio.get_untrusted_types(data=data))
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
    found_version = package_version("skops")
    label = f"skops {found_version}" if found_version else "skops"
    return classify_skops_types(
        types, app_trusted, mlmodel_trusted=mlmodel_trusted, parse_error=error,
        file=file, sha256=sha256, size=len(data), scanner=label,
    )
