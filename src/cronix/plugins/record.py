"""Which installed Python distribution a plugin executable belongs to, and whether its files
are still the ones its RECORD lists.

A plugin that pip installed as a console script is a launcher of a few lines
(``from acme_plugin import main``); what runs is the distribution's code. pip writes a
``RECORD`` in the distribution's ``.dist-info`` listing every installed file with its
hash, the launcher included. This module finds that distribution *without running
anything* — it reads the launcher's ``#!`` line and looks for ``*.dist-info`` in the
site-packages of that interpreter's prefix and of the launcher's own prefix (a venv, a
``--prefix``/``--user``/system install, a ``--target`` directory) — and confirms it by the
RECORD listing the launcher's resolved path under an entry point of the same name.

:func:`record_digest` is what a pin records: the SHA-256 of the RECORD's ``path,hash``
rows that have a hash, sorted, leaving out the install bookkeeping (``INSTALLER``,
``REQUESTED``, ``direct_url.json``), so reinstalling the same wheel from elsewhere keeps it.
:meth:`Installed.problems` hashes every listed file against its row.

Not covered, by construction (docs/plugins.md): files without a hash in RECORD (the
``.pyc`` caches pip compiles), files not listed in it, other distributions the code
imports, the interpreter, and — for an editable install — the source tree, since its
RECORD lists only the import hook.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import Distribution

__all__ = ["Installed", "installed_distribution"]

#: Hash algorithms a RECORD may use (the wheel spec: sha256 or stronger).
_STRONG = frozenset({"sha256", "sha384", "sha512"})
_BOOKKEEPING = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"})
_SCRIPT_GROUPS = frozenset({"console_scripts", "gui_scripts"})


@dataclass(frozen=True, slots=True)
class Installed:
    """The distribution that installed a plugin executable."""

    name: str
    version: str
    #: ``sha256:<hex>`` over the RECORD rows (see the module docstring).
    record_digest: str
    #: ``(path as listed, absolute path, "algo=urlsafe-b64")`` for every row with a hash.
    rows: tuple[tuple[str, str, str], ...]
    editable: bool = False

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    def problems(self, limit: int = 3) -> list[str]:
        """Listed files that are missing or differ from their RECORD hash (at most ``limit``)."""
        found: list[str] = []
        for listed, path, expected in self.rows:
            algo, _, _ = expected.partition("=")
            if algo not in _STRONG:
                found.append(f"{listed} is listed with a {algo or 'missing'} hash, weaker than sha256")
            elif (actual := _file_hash(path, algo)) is None:
                found.append(f"{path} is missing")
            elif actual != expected:
                found.append(f"{path} does not match the hash its RECORD lists")
            if len(found) >= limit:
                break
        return found


def installed_distribution(executable: str) -> Installed | None:
    """The distribution whose entry point and RECORD name ``executable`` (resolved), or None."""
    from importlib.metadata import PathDistribution

    resolved = os.path.realpath(executable)
    script = os.path.basename(resolved)
    for site in _site_dirs(resolved):
        for info in sorted(glob.glob(os.path.join(glob.escape(site), "*.dist-info"))):
            dist = PathDistribution(Path(info))
            if not _declares_script(dist, script):
                continue
            found = _installed(dist, site, resolved)
            if found is not None:
                return found
    return None


def _site_dirs(resolved: str) -> list[str]:
    """Where the distribution can be: the site-packages of the launcher's and interpreter's prefixes."""
    prefixes = [os.path.dirname(os.path.dirname(resolved))]
    interpreter = _shebang(resolved)
    if interpreter:
        prefixes.append(os.path.dirname(os.path.dirname(interpreter)))
    dirs: list[str] = []
    for prefix in dict.fromkeys(prefixes):
        escaped = glob.escape(prefix)
        candidates = [prefix]  # a --target install: the scripts in <dir>/bin, the rest in <dir>
        for lib in ("lib", "lib64"):
            candidates += sorted(glob.glob(f"{escaped}/{lib}/python3*/site-packages"))
            candidates += sorted(glob.glob(f"{escaped}/{lib}/python3*/dist-packages"))
            candidates.append(f"{prefix}/{lib}/python3/dist-packages")
        dirs += [d for d in candidates if os.path.isdir(d)]
    unique: dict[str, str] = {}
    for d in dirs:  # lib64 is often a symlink to lib
        unique.setdefault(os.path.realpath(d), d)
    return list(unique.values())


def _shebang(path: str) -> str:
    """The interpreter of a ``#!`` line (not ``/usr/bin/env …``), or ""."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(512)
    except OSError:
        return ""
    if not first.startswith(b"#!"):
        return ""
    words = first[2:].decode("utf-8", "replace").split()
    return words[0] if words and os.path.basename(words[0]) != "env" else ""


def _declares_script(dist: Distribution, script: str) -> bool:
    try:
        text = dist.read_text("entry_points.txt")
        # Parsing every distribution's entry points is most of the cost of a lookup; most
        # do not even mention the name.
        if not text or script not in text:
            return False
        return any(ep.group in _SCRIPT_GROUPS and ep.name == script for ep in dist.entry_points)
    except (OSError, ValueError, UnicodeDecodeError):
        return False


def _installed(dist: Distribution, site: str, resolved: str) -> Installed | None:
    """The distribution if its RECORD lists ``resolved``; None otherwise."""
    try:
        text = dist.read_text("RECORD")
    except (OSError, UnicodeDecodeError):
        return None
    if not text:
        return None
    import csv

    rows: list[tuple[str, str, str]] = []
    digest_lines: list[str] = []
    lists_it = False
    for row in csv.reader(text.splitlines()):
        if not row or not row[0]:
            continue
        listed, digest = row[0], row[1] if len(row) > 1 else ""
        path = os.path.normpath(os.path.join(site, listed))
        lists_it = lists_it or os.path.realpath(path) == resolved
        if not digest:
            continue
        rows.append((listed, path, digest))
        if not (_in_dist_info(listed) and os.path.basename(listed) in _BOOKKEEPING):
            digest_lines.append(f"{listed},{digest}\n")
    if not lists_it:
        return None
    record = hashlib.sha256("".join(sorted(digest_lines)).encode("utf-8")).hexdigest()
    return Installed(
        name=str(dist.metadata["Name"]),
        version=str(dist.version),
        record_digest=f"sha256:{record}",
        rows=tuple(rows),
        editable=_editable(dist),
    )


def _in_dist_info(listed: str) -> bool:
    parent = os.path.dirname(listed)
    return parent.endswith(".dist-info") and os.sep not in parent and "/" not in parent


def _editable(dist: Distribution) -> bool:
    try:
        doc = json.loads(dist.read_text("direct_url.json") or "{}")
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and bool((doc.get("dir_info") or {}).get("editable"))


def _file_hash(path: str, algo: str) -> str | None:
    """``algo=<urlsafe base64, unpadded>`` of the file, as RECORD spells hashes; None if unreadable."""
    try:
        with open(path, "rb") as fh:
            raw = hashlib.file_digest(fh, algo).digest()
    except OSError:
        return None
    return f"{algo}={base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii')}"
