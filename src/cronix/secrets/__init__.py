"""Secret references: ``env:NAME``, ``file:/path``, ``raw:literal`` (reference §7.3), and cronix's
``credential:NAME``, ``ssm:NAME``, ``secretsmanager:ID`` (alias ``sm:``).

``credential:NAME`` is cronix's addition for systemd services: the file ``NAME`` in
``$CREDENTIALS_DIRECTORY``, where systemd places what ``LoadCredential=`` loads (the
systemd-timer backend's ``credentials`` option), so the secret never appears in a unit
file, the environment or a command line. Outside such a service (``cronix apply`` signing
its manifest fetch) it is skipped with a warning, like an unset ``env:`` variable, so a
second ref can sign there.

A reference names where a secret lives; only this package ever sees the value. Values are
never logged, printed, written to files cronix creates, or passed on a command line —
error messages name the *reference* (and redact ``raw:`` ones, whose text is the secret).

``env:``, ``file:`` and ``raw:`` are the reference's (§7.3). ``ssm:`` (an SSM Parameter
Store parameter, decrypted) and ``secretsmanager:`` (a Secrets Manager secret; ``sm:`` is
the reference Lambda's alias) resolve through :mod:`cronix.secrets.aws`, which imports
boto3 only when such a reference is resolved and caches values per process (a Lambda
container) for a few minutes.

Resolution keeps the order of the references (the first usable secret signs; all of them
verify, for rotation), skips references that resolve to an empty value with a warning, and
fails when nothing usable is left.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from cronix.secrets.errors import SecretError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["SCHEMES", "SecretError", "SecretRef", "parse_secret_ref", "redact", "resolve_secrets"]

SCHEMES = ("env", "file", "raw", "credential", "ssm", "secretsmanager", "sm")
#: The schemes as help texts list them (``sm:`` is an alias of ``secretsmanager:``).
_WANT = "env:, file:, raw:, credential:, ssm: or secretsmanager:"
# Secret files are small; refusing huge ones keeps a wrong path from being slurped.
_MAX_SECRET_FILE_BYTES = 64 * 1024


class SecretRef(NamedTuple):
    scheme: str
    value: str

    def __str__(self) -> str:
        return "raw:***" if self.scheme == "raw" else f"{self.scheme}:{self.value}"


def redact(ref: str) -> str:
    """A reference as it may be shown to a human (``raw:`` values hidden)."""
    return "raw:***" if ref.startswith("raw:") else ref


def parse_secret_ref(ref: str) -> SecretRef:
    scheme, sep, value = ref.partition(":")
    if not sep:
        raise SecretError(f'secret ref must be "<scheme>:<value>" ({_WANT}), got "{redact(ref)}"')
    if scheme not in SCHEMES:
        raise SecretError(f'unknown secret ref scheme "{scheme}" in "{redact(ref)}" (want {_WANT})')
    return SecretRef("secretsmanager" if scheme == "sm" else scheme, value)


def resolve_secrets(
    refs: Sequence[str],
    *,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[str]:
    """Resolve ``refs`` in order; raise :class:`SecretError` when none yields a value."""
    if not refs:
        raise SecretError("no secret refs given: pass --secret-ref env:NAME (or file:/path, ssm:NAME)")
    env = os.environ if environ is None else environ
    values: list[str] = []
    unusable: list[str] = []
    for raw_ref in refs:
        ref = parse_secret_ref(raw_ref)
        value = _resolve_one(ref, env)
        if value:
            values.append(value)
            continue
        if ref.scheme == "credential" and not env.get("CREDENTIALS_DIRECTORY"):
            unusable.append(f"{ref}: $CREDENTIALS_DIRECTORY is not set")
            if warn is not None:
                warn(
                    f"secret ref {ref} skipped: $CREDENTIALS_DIRECTORY is not set (credential: refs resolve "
                    "in a systemd service that loads the credential: LoadCredential=, the systemd-timer "
                    "credentials option)"
                )
            continue
        # An unset variable is the common case under cron (its environment is not the
        # operator's shell): say so, rather than "empty".
        why = "is not set" if ref.scheme == "env" and ref.value not in env else "resolved to an empty value"
        unusable.append(f"{ref} {why}")
        if warn is not None:
            warn(f"secret ref {ref} {why}; skipped")
    if not values:
        raise SecretError(f"no usable secret: {'; '.join(unusable)}")
    return values


def _resolve_one(ref: SecretRef, env: Mapping[str, str]) -> str:
    if ref.scheme == "env":
        return env.get(ref.value, "")
    if ref.scheme == "raw":
        return ref.value
    if ref.scheme in ("ssm", "secretsmanager"):
        from cronix.secrets.aws import resolve_aws

        return resolve_aws(ref.scheme, ref.value)
    if ref.scheme == "file":
        path = where = ref.value
    else:
        credential = _credential_path(ref.value, env)
        if credential is None:
            return ""  # not inside a service that loads credentials (e.g. apply's manifest fetch)
        path, where = credential, f"{credential} ({ref})"
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise SecretError(f"cannot read secret file {where}: {exc.strerror or exc}") from None
    if len(data) > _MAX_SECRET_FILE_BYTES:
        raise SecretError(f"secret file {where} is larger than {_MAX_SECRET_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecretError(f"secret file {where} is not UTF-8 text") from None


def _credential_path(name: str, env: Mapping[str, str]) -> str | None:
    """``$CREDENTIALS_DIRECTORY/NAME``, or ``None`` outside a service that has credentials."""
    if not name or "/" in name or name in (".", ".."):
        raise SecretError(f'credential:{name}: a credential name is one file name (no "/")')
    directory = env.get("CREDENTIALS_DIRECTORY", "")
    return os.path.join(directory, name) if directory else None
