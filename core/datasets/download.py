"""Download a file safely: progress, cancel, SHA-256 check, atomic rename.

>>> from core.datasets.download import download
>>> download("https://example.org/data.npz", "/tmp/data.npz", sha256="...",
...          progress=lambda done, total: print(done, total))

The bytes go to a temporary file beside ``dest``; it is renamed to ``dest`` only
once the whole body arrived and its SHA-256 matches, so ``dest`` is never a
partial or corrupt file. Every failure removes the temporary file.

Errors
------
``DownloadCancelled``
    ``cancel()`` returned true (checked before every chunk).
``ConnectionError``
    No network, host unreachable, HTTP error, time-out, or a transfer cut short
    (fewer bytes than the server's ``Content-Length``).
``ValueError``
    The SHA-256 of the received bytes is not the expected one, or an argument
    is invalid.
"""
from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from pathlib import Path

from core.engine.validation import check_int, check_positive

__all__ = ["download", "DownloadCancelled", "sha256_of"]

USER_AGENT = "uncrumple/0.1 (+https://github.com/; dataset downloader)"


class DownloadCancelled(Exception):
    """Raised by :func:`download` when its ``cancel()`` callback returns true."""


def sha256_of(path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def _content_length(response) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    try:
        n = int(value.strip())
    except ValueError:
        return None
    return n if n >= 0 else None


def _human(n: int | None) -> str:
    if n is None:
        return "an unknown number of bytes"
    return f"{n:,} bytes"


def download(url: str, dest, sha256: str | None = None, progress=None, cancel=None,
             timeout: float = 30.0, chunk_size: int = 1 << 16) -> Path:
    """Download ``url`` to ``dest`` and return ``dest`` as a :class:`~pathlib.Path`.

    Parameters
    ----------
    url : str
        ``http://``, ``https://`` or ``file://`` address.
    dest : str or os.PathLike
        Final file name; its folder is created if needed. An existing file is
        replaced only after a successful, verified download.
    sha256 : str or None
        Expected hex SHA-256 of the file (case-insensitive). ``None`` skips the check.
    progress : callable ``progress(done_bytes, total_bytes)`` or None
        Called once before the first chunk with ``done_bytes=0`` and after every
        chunk. ``total_bytes`` is the server's ``Content-Length``, or ``None``
        when the server does not say.
    cancel : callable ``cancel() -> bool`` or None
        Checked before every chunk; a true result stops the transfer and raises
        :class:`DownloadCancelled`.
    timeout : float > 0
        Seconds to wait for the connection and for each chunk.
    chunk_size : int >= 1
        Bytes read per chunk (also the granularity of ``progress`` and ``cancel``).
    """
    if not isinstance(url, str) or not url:
        raise ValueError(f"Argument `url` must be a non-empty string. Received: url={url!r}")
    timeout = check_positive("timeout", timeout)
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    expected = None
    if sha256 is not None:
        expected = str(sha256).strip().lower()
        if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
            raise ValueError("Argument `sha256` must be 64 hexadecimal digits or None. "
                             f"Received: sha256={sha256!r}")
    for name, fn in (("progress", progress), ("cancel", cancel)):
        if fn is not None and not callable(fn):
            raise ValueError(f"Argument `{name}` must be callable or None. Received: {name}={fn!r}")

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    ok = False
    try:
        with os.fdopen(fd, "wb") as out:
            received, total = _transfer(url, out, progress, cancel, timeout, chunk_size)
            out.flush()
            os.fsync(out.fileno())
        if expected is not None:
            got = sha256_of(tmp)
            if got != expected:
                raise ValueError(
                    f"The file downloaded from {url} is not the expected one: its SHA-256 is "
                    f"{got}, expected {expected} ({_human(received)} received). It was "
                    f"discarded; nothing was saved at {dest}.")
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the cache is an ordinary file
        os.replace(tmp, dest)
        ok = True
        return dest
    finally:
        if not ok:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass


def _cut_short(url, received, total) -> ConnectionError:
    return ConnectionError(
        f"The download of {url} was cut short: received {_human(received)} of the "
        f"{_human(total)} the server announced (Content-Length). Nothing was saved; try again.")


class _WriteError(Exception):
    """Carries an OSError of the local file past the network error handlers."""


def _transfer(url, out, progress, cancel, timeout, chunk_size):
    """Copy the body of ``url`` into ``out``; return (bytes received, Content-Length or None)."""
    import http.client  # imported here: `import core` stays quick (urllib pulls in email, ssl...)
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    received = 0
    total = None
    truncated = False
    if cancel is not None and cancel():
        raise DownloadCancelled(f"Download of {url} cancelled before it started; nothing was saved.")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            total = _content_length(response)
            if progress is not None:
                progress(0, total)
            while True:
                if cancel is not None and cancel():
                    raise DownloadCancelled(
                        f"Download of {url} cancelled after {_human(received)}"
                        f"{'' if total is None else f' of {total:,}'}; nothing was saved.")
                try:
                    block = response.read(chunk_size)
                except http.client.IncompleteRead as exc:
                    received += len(exc.partial)
                    truncated = True
                    break
                if not block:
                    break
                try:
                    out.write(block)
                except OSError as exc:
                    raise _WriteError(exc) from None
                received += len(block)
                if progress is not None:
                    progress(received, total)
    except _WriteError as exc:
        raise exc.args[0] from None
    except urllib.error.HTTPError as exc:
        raise ConnectionError(f"The server at {url} answered HTTP {exc.code} ({exc.reason}); "
                              f"nothing was downloaded.") from None
    except urllib.error.URLError as exc:
        raise ConnectionError(f"Could not reach {url}: {exc.reason}. Is the computer offline?") from None
    except (socket.timeout, TimeoutError):
        raise ConnectionError(f"The download of {url} timed out after {timeout:g} s without data "
                              f"({_human(received)} received). Is the network slow or offline?") from None
    except (http.client.HTTPException, OSError) as exc:
        raise ConnectionError(f"The download of {url} failed after {_human(received)}: "
                              f"{type(exc).__name__}: {exc}") from None
    if truncated or (total is not None and received != total):
        raise _cut_short(url, received, total)
    return received, total
