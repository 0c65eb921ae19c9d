"""Where manifests come from: a path, ``file://`` URL, standard input, or (signed) HTTP(S).

Accepted sources:

* ``/abs/path.json``, ``relative/path.json``, ``./m.json`` — a file (relative to the
  working directory);
* ``file:///abs/path.json``, ``file://relative.json``, ``file:rel.json`` — the same,
  percent-decoded;
* ``-`` — standard input.

Every read is capped at :data:`~cronix.protocol.jsondecode.MAX_MANIFEST_BYTES` and fails
with a one-line message that names the source. A source that cannot be read is a usage
error (exit 2); bytes that are not a manifest are a manifest error (exit 1).
"""

from __future__ import annotations

import os
import stat
import sys
import urllib.parse
from dataclasses import dataclass
from typing import BinaryIO

from cronix.errors import ManifestSyntaxError, UsageError
from cronix.protocol.jsondecode import MAX_MANIFEST_BYTES
from cronix.protocol.manifest import Manifest, parse_manifest

__all__ = ["LoadedSource", "load_manifest", "read_source"]


@dataclass(frozen=True, slots=True)
class LoadedSource:
    """The bytes of a manifest and a human name for where they came from."""

    name: str
    data: bytes


def load_manifest(source: str, *, max_bytes: int = MAX_MANIFEST_BYTES) -> Manifest:
    """Read and parse the manifest at ``source``."""
    loaded = read_source(source, max_bytes=max_bytes)
    return parse_manifest(loaded.data, max_bytes=max_bytes)


def read_source(source: str, *, max_bytes: int = MAX_MANIFEST_BYTES) -> LoadedSource:
    """The raw bytes of ``source`` (see the module docstring for the accepted forms)."""
    if source == "-":
        return LoadedSource("<stdin>", _read_capped(sys.stdin.buffer, "<stdin>", max_bytes))
    scheme = source.split(":", 1)[0].lower() if "://" in source or source.startswith("file:") else ""
    if scheme == "file":
        return _read_file(_file_url_path(source), max_bytes)
    if scheme:
        raise UsageError(f'manifest source "{source}" is not supported here: use a path, file:// URL or -')
    return _read_file(source, max_bytes)


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
