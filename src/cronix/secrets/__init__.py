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

**The grammar is one table**, :data:`SCHEMES`: a ref is ``<scheme>:<value>`` split at the
first colon, where ``scheme`` is a key of the table, written in lowercase as the
reference's switch does. A new scheme is one line there. Anything else is refused
(:func:`ref_problem`), and the refused text is never printed back, because a string that
is not a ref is most often the secret itself pasted where its ref belongs
(``--secret-ref "$CRON_SECRET"``): the message names the ref's position, and at most the
known scheme it resembles. ``RAW:x`` is recognised as a miswritten ``raw:`` (hidden like
one), not as an unknown scheme that could be echoed.

Resolution keeps the order of the references (the first usable secret signs; all of them
verify, for rotation), skips references that resolve to an empty value with a warning, and
fails when nothing usable is left.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from cronix.fileio import read_regular
from cronix.secrets.errors import SecretError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "INVALID_REF",
    "SCHEMES",
    "SecretError",
    "SecretRef",
    "SecretScheme",
    "check_secret_refs",
    "is_literal_ref",
    "parse_secret_ref",
    "redact",
    "ref_problem",
    "resolve_secrets",
]

# Secret files are small; refusing huge ones keeps a wrong path from being slurped.
_MAX_SECRET_FILE_BYTES = 64 * 1024
#: How an unusable ref is shown anywhere (logs, messages): never its text.
INVALID_REF = "<invalid secret ref>"


class SecretScheme(NamedTuple):
    """One ref scheme: how it is written, how it resolves, whether its text *is* the secret."""

    usage: str
    resolve: Callable[[str, Mapping[str, str]], str]
    #: ``raw:``: the text after the colon is the secret; it is hidden and never written to files.
    literal: bool = False
    #: Another spelling of the scheme named here (``sm:`` of ``secretsmanager:``); not listed in help.
    alias_of: str = ""


def _from_env(name: str, env: Mapping[str, str]) -> str:
    return env.get(name, "")


def _literal(value: str, env: Mapping[str, str]) -> str:
    return value


def _from_file(path: str, env: Mapping[str, str]) -> str:
    return _read_secret_file(path, path)


def _from_credential(name: str, env: Mapping[str, str]) -> str:
    """``$CREDENTIALS_DIRECTORY/NAME``; ``""`` outside a service that loads credentials."""
    if not name or "/" in name or name in (".", ".."):
        raise SecretError(f'credential:{name}: a credential name is one file name (no "/")')
    directory = env.get("CREDENTIALS_DIRECTORY", "")
    if not directory:
        return ""  # not inside a service that loads credentials (e.g. apply's manifest fetch)
    path = os.path.join(directory, name)
    return _read_secret_file(path, f"{path} (credential:{name})")


def _read_secret_file(path: str, where: str) -> str:
    # A regular file only: a FIFO would block the fire forever, a device never ends.
    try:
        data, _ = read_regular(path, _MAX_SECRET_FILE_BYTES)
    except OSError as exc:
        raise SecretError(f"cannot read secret file {where}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise SecretError(f"secret file {where} is not UTF-8 text") from None


def _from_ssm(name: str, env: Mapping[str, str]) -> str:
    from cronix.secrets.aws import resolve_aws

    return resolve_aws("ssm", name)


def _from_secrets_manager(secret_id: str, env: Mapping[str, str]) -> str:
    from cronix.secrets.aws import resolve_aws

    return resolve_aws("secretsmanager", secret_id)


#: Every scheme cronix understands, in the order help texts list them. One line per scheme.
SCHEMES: dict[str, SecretScheme] = {
    "env": SecretScheme("env:NAME", _from_env),
    "file": SecretScheme("file:/path", _from_file),
    "raw": SecretScheme("raw:VALUE", _literal, literal=True),
    "credential": SecretScheme("credential:NAME", _from_credential),
    "ssm": SecretScheme("ssm:NAME", _from_ssm),
    "secretsmanager": SecretScheme("secretsmanager:ID", _from_secrets_manager),
    "sm": SecretScheme("sm:ID", _from_secrets_manager, alias_of="secretsmanager"),
}


def _wanted() -> str:
    return ", ".join(s.usage for s in SCHEMES.values() if not s.alias_of)


class SecretRef(NamedTuple):
    scheme: str
    value: str

    def __str__(self) -> str:
        return f"{self.scheme}:***" if SCHEMES[self.scheme].literal else f"{self.scheme}:{self.value}"


def ref_problem(ref: str, *, allow_empty: bool = False) -> str | None:
    """Why ``ref`` is not a usable secret ref (a message that never quotes it), or ``None``.

    An empty value (``env:``) is refused where an operator types a ref; ``allow_empty``
    accepts it where refs are read back (spec files): it resolves to nothing and is
    skipped, as the reference's trigger does.
    """
    scheme, sep, value = ref.partition(":")
    if not sep or not scheme:
        return f"not a secret ref: it has no scheme (want {_wanted()}; a secret value is never accepted here)"
    if scheme not in SCHEMES:
        if scheme.lower() in SCHEMES:
            return f'secret ref schemes are lowercase: write "{scheme.lower()}:…"'
        import difflib  # only on this error path: the trigger imports this module on every fire

        near = difflib.get_close_matches(scheme.lower(), list(SCHEMES), n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]}:?" if near else ""
        return f"unknown secret ref scheme (want {_wanted()}){hint}"
    if not value and not allow_empty:
        return f'secret ref "{scheme}:" names nothing after the colon (want {SCHEMES[scheme].usage})'
    return None


def parse_secret_ref(ref: str) -> SecretRef:
    """The ref with its scheme's canonical name (``sm:`` reads as ``secretsmanager:``)."""
    problem = ref_problem(ref, allow_empty=True)
    if problem is not None:
        raise SecretError(problem)
    scheme, _, value = ref.partition(":")
    return SecretRef(SCHEMES[scheme].alias_of or scheme, value)


def check_secret_refs(refs: Iterable[str], label: str = "secret ref") -> None:
    """Raise :class:`SecretError` naming the first unusable ref by position (``--secret-ref #2``)."""
    for i, ref in enumerate(refs, 1):
        problem = ref_problem(ref)
        if problem is not None:
            raise SecretError(f"{label} #{i}: {problem}")


def is_literal_ref(ref: str) -> bool:
    """Whether the text of ``ref`` is the secret itself (``raw:``, in any case)."""
    scheme = SCHEMES.get(ref.partition(":")[0].lower())
    return scheme is not None and scheme.literal


def redact(ref: str) -> str:
    """A reference as it may be shown to a human: literal values hidden, unusable refs not shown."""
    if ref_problem(ref, allow_empty=True) is not None:
        return INVALID_REF
    return str(parse_secret_ref(ref))


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
        value = SCHEMES[ref.scheme].resolve(ref.value, env)
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
