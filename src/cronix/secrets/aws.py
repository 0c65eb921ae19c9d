"""``ssm:`` and ``secretsmanager:`` secret references, resolved with boto3 and cached per process.

* ``ssm:<name>`` — ``GetParameter(Name=<name>, WithDecryption=True)``; a name, a path
  (``ssm:/cronix/billing``) or a parameter ARN.
* ``secretsmanager:<id>`` (alias ``sm:``) — ``GetSecretValue(SecretId=<id>)``, the current
  version's ``SecretString`` (or ``SecretBinary`` as UTF-8); a name or an ARN.

Values are cached in this process for :data:`CACHE_SECONDS`, so a Lambda container that
fires every minute asks AWS a few times an hour, and a rotated secret is picked up within
that time. boto3 is imported on the first lookup only (``cronix trigger`` with ``env:``
refs never loads it); the clients use botocore's standard retry mode and the usual
region and credential chain (on Lambda: the function's role and ``AWS_REGION``).
Errors name the reference and the AWS error code, never a value.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from cronix.awsclients import AwsSettings, client, error_code, error_text, is_aws_error
from cronix.errors import MissingDependencyError
from cronix.secrets.errors import SecretError

__all__ = ["CACHE_SECONDS", "clear_cache", "resolve_aws"]

CACHE_SECONDS = 300.0
_cache: dict[tuple[str, str], tuple[float, str]] = {}
_clients: dict[str, Any] = {}
_lock = threading.Lock()
_NOT_FOUND = {"ParameterNotFound", "ResourceNotFoundException"}


def resolve_aws(scheme: str, name: str) -> str:
    """The value of ``ssm:<name>`` or ``secretsmanager:<name>`` (``""`` when AWS stores none)."""
    key = (scheme, name)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        value = _fetch(scheme, name)
    except MissingDependencyError as exc:
        raise SecretError(f"secret ref {scheme}:{name}: {exc}") from None
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        hint = " (does it exist in this account and region?)" if error_code(exc) in _NOT_FOUND else ""
        raise SecretError(f"secret ref {scheme}:{name}: {error_text(exc)}{hint}") from None
    with _lock:
        _cache[key] = (now, value)
    return value


def clear_cache() -> None:
    """Forget cached values and clients (tests; a long-lived process after a rotation)."""
    with _lock:
        _cache.clear()
        _clients.clear()


def _fetch(scheme: str, name: str) -> str:
    if scheme == "ssm":
        found = _client("ssm").get_parameter(Name=name, WithDecryption=True)
        return str(found.get("Parameter", {}).get("Value") or "")
    secret = _client("secretsmanager").get_secret_value(SecretId=name)
    if secret.get("SecretString") is not None:
        return str(secret["SecretString"])
    binary = secret.get("SecretBinary")
    return bytes(binary).decode("utf-8", "replace") if binary else ""


def _client(service: str) -> Any:
    with _lock:
        found = _clients.get(service)
        if found is None:
            found = _clients[service] = client(service, AwsSettings())
        return found
