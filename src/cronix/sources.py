"""Where manifests come from: a path, ``file://`` URL, standard input, or (signed) HTTP(S).

Accepted sources:

* ``/abs/path.json``, ``relative/path.json``, ``./m.json`` — a file (relative to the
  working directory);
* ``file:///abs/path.json``, ``file://relative.json``, ``file:rel.json`` — the same,
  percent-decoded;
* ``-`` — standard input;
* ``https://…`` — any host; ``http://…`` — loopback hosts only (``localhost``,
  ``127.0.0.0/8``, ``[::1]``, compared exactly, never as a string prefix).

HTTP(S) sources are fetched with a GET signed like a trigger request
(``X-Cron-Signature`` over ``GET``, the URL's real path-and-query, and an empty body) with
the first resolved secret; redirects are not followed (a redirect could carry the
signature elsewhere or downgrade to plain HTTP), the whole fetch — connect, TLS, headers
and body — has 30 s (:mod:`cronix.httpio`), and HTTPS verifies certificates against the
system store (``SSL_CERT_FILE`` is honoured).

Every read is capped at :data:`~cronix.protocol.jsondecode.MAX_MANIFEST_BYTES` and fails
with a one-line message that names the source. Exit codes (``spec/DECISIONS.md`` D-109):
a local source that cannot be read is a usage error (2); a URL that cannot be fetched —
connection, TLS, timeout, non-2xx status — is :class:`~cronix.errors.SourceUnreachable`
(3); 401/403 is :class:`~cronix.errors.FetchAuthError` (4); bytes that are not a manifest
are a manifest error (1).
"""

from __future__ import annotations

import ipaddress
import os
import stat
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from cronix.errors import FetchAuthError, ManifestError, ManifestSyntaxError, SourceUnreachable, UsageError
from cronix.protocol.headers import X_CRON_SIGNATURE
from cronix.protocol.jsondecode import MAX_MANIFEST_BYTES
from cronix.protocol.manifest import Manifest, parse_manifest
from cronix.protocol.signing import sign

__all__ = [
    "FETCH_TIMEOUT_SECONDS",
    "LoadedSource",
    "SecretProvider",
    "is_loopback_host",
    "load_manifest",
    "read_source",
]

FETCH_TIMEOUT_SECONDS = 30.0
#: Returns the signing secret for an HTTP(S) fetch; called only when one is needed.
SecretProvider = Callable[[], str]


@dataclass(frozen=True, slots=True)
class LoadedSource:
    """The bytes of a manifest and a human name for where they came from."""

    name: str
    data: bytes


def load_manifest(
    source: str,
    *,
    secret: SecretProvider | None = None,
    max_bytes: int = MAX_MANIFEST_BYTES,
    timeout: float = FETCH_TIMEOUT_SECONDS,
) -> Manifest:
    """Read and parse the manifest at ``source``."""
    loaded = read_source(source, secret=secret, max_bytes=max_bytes, timeout=timeout)
    try:
        return parse_manifest(loaded.data, max_bytes=max_bytes)
    except ManifestError as exc:
        exc.source = exc.source or loaded.name
        raise


def read_source(
    source: str,
    *,
    secret: SecretProvider | None = None,
    max_bytes: int = MAX_MANIFEST_BYTES,
    timeout: float = FETCH_TIMEOUT_SECONDS,
) -> LoadedSource:
    """The raw bytes of ``source`` (see the module docstring for the accepted forms)."""
    if source == "-":
        return LoadedSource("<stdin>", _read_capped(sys.stdin.buffer, "<stdin>", max_bytes))
    scheme = source.split(":", 1)[0].lower() if "://" in source or source.startswith("file:") else ""
    if scheme == "file":
        return _read_file(_file_url_path(source), max_bytes)
    if scheme in ("http", "https"):
        url = urllib.parse.urlsplit(source)
        if scheme == "http" and not is_loopback_host(url.hostname or ""):
            raise UsageError(
                f'manifest source "{_display(source)}": plain http:// is allowed only for loopback hosts '
                "(localhost, 127.0.0.1, [::1]); use https://"
            )
        if secret is None:
            raise UsageError(
                f"manifest fetch {_display(source)} needs a secret: pass --secret-ref env:NAME "
                "(or set secret_refs in manifest_sources)"
            )
        data = fetch_signed(source, secret(), max_bytes=max_bytes, timeout=timeout)
        return LoadedSource(_display(source), data)
    if scheme:
        raise UsageError(
            f'manifest source "{_display(source)}" is not supported here: use a path, file://, https://, '
            "http://localhost or -"
        )
    return _read_file(source, max_bytes)


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP address, compared exactly (``localhost.evil`` is not)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _display(url: str) -> str:
    """A URL fit for messages: user info (which may hold a password) removed."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _file_url_path(url: str) -> str:
    rest = url[len("file://") :] if url.startswith("file://") else url[len("file:") :]
    if rest.startswith("localhost/"):
        rest = rest[len("localhost") :]
    path = urllib.parse.unquote(rest)
    if not path:
        raise UsageError(f'manifest source "{url}" has no path')
    return path


def _read_file(path: str, max_bytes: int) -> LoadedSource:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"cannot read manifest {path}: no such file") from None
    except PermissionError:
        raise UsageError(f"cannot read manifest {path}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise UsageError(f"cannot read manifest {path}: it is a directory")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = _read_capped(fh, path, max_bytes)
    except OSError as exc:
        raise UsageError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return LoadedSource(path, data)


def _read_capped(fh: BinaryIO, name: str, max_bytes: int) -> bytes:
    data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ManifestSyntaxError(
            f"manifest {name} is larger than the limit of {max_bytes} bytes",
            code="too_big",
        )
    return data


def fetch_signed(url: str, secret: str, *, max_bytes: int, timeout: float) -> bytes:
    """GET ``url`` with an ``X-Cron-Signature`` over its path-and-query; the body, capped.

    ``timeout`` bounds the whole exchange (:func:`cronix.httpio.request`): a server that
    trickles its answer fails the fetch at the deadline, not a socket timeout per byte.
    """
    from cronix.httpio import HttpError, Target, request

    parts = urllib.parse.urlsplit(url)
    shown = _display(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        target = Target(https=parts.scheme == "https", host=parts.hostname or "", port=parts.port, path=path)
    except ValueError:
        raise UsageError(f"manifest source {shown}: invalid port") from None
    headers = [
        (X_CRON_SIGNATURE, sign(secret, "GET", path, b"")),
        ("Accept", "application/json"),
        ("User-Agent", "cronix"),
    ]
    try:
        response = request(target, "GET", headers, timeout=timeout, max_body=max_bytes)
    except HttpError as exc:
        raise SourceUnreachable(f"cannot fetch manifest {shown}: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"manifest source {shown}: {exc}") from None
    status = response.status
    if status in (401, 403):
        raise FetchAuthError(
            f"manifest fetch {shown} was refused with HTTP {status}: "
            "check that --secret-ref names a secret "
            "the app accepts"
        )
    if not 200 <= status < 300:
        hint = " (redirects are not followed: use the final URL)" if 300 <= status < 400 else ""
        raise SourceUnreachable(f"manifest fetch {shown} failed: HTTP {status} {response.reason}{hint}")
    if response.truncated:
        raise ManifestSyntaxError(
            f"manifest {shown} is larger than the limit of {max_bytes} bytes", code="too_big"
        )
    return response.body
