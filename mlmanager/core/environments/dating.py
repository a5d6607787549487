"""Resolving "as of the day the model was saved": the date uv's ``--exclude-newer`` is given.

The day starts at the MLmodel's ``utc_time_created`` plus a margin (a model saved at 23:59
was built from packages of that day; a day's margin also covers clock skew). When a pinned
package was published after that date (a model can pin something newer than itself), the date
moves to just after that publication and the resolution is retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

MARGIN = timedelta(days=1)
#: how far past the date a package without a wheel then may be looked for, step by step (the
#: newest version with a wheel within the first window that has one: the nearest to that day)
LATER_WINDOWS_DAYS = (30, 90, 180, 365, 730, 1460)


def iso(dt: datetime) -> str:
    """RFC 3339 in UTC, to the second: what ``--exclude-newer`` takes."""
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def start_date(created: datetime) -> str:
    return iso(created + MARGIN)


def parse_published(text: str) -> datetime | None:
    """uv's publication time (``2023-06-30T07:54:40.92Z``) as an aware datetime."""
    t = text.strip().rstrip(".")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    if "." in t:  # fromisoformat before 3.11 wants 3 or 6 fraction digits
        head, _, rest = t.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        t = f"{head}.{(digits + '000000')[:6]}{zone}"
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def moved_date(current: str, published: str) -> str | None:
    """The date just after ``published`` when that is later than ``current``, else None."""
    pub = parse_published(published)
    cur = parse_published(current)
    if pub is None:
        return None
    new = iso(pub + MARGIN)
    if cur is not None and pub + MARGIN <= cur:
        return None
    return new


def later_window(date: str, current: str | None) -> str | None:
    """The next window end after ``current`` (None: the first), or None when none is left."""
    start = parse_published(date)
    if start is None:
        return None
    for days in LATER_WINDOWS_DAYS:
        end = iso(start + timedelta(days=days))
        if current is None or end > current:
            return end
    return None
