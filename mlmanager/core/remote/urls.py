"""What names a tracking server: ``http(s)://host[:port][/prefix]``, and the server a link points into.

Light on purpose (``urllib.parse`` only): the window asks it for every path it opens, before
anything of the REST client is imported.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def is_server_url(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def server_of(url: str) -> str:
    """The server a URL points into (a link from MLflow's web UI keeps only its server)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
