"""boto3 clients made one way, for the aws-scheduler backend, its history and AWS secret refs.

``boto3`` (the ``aws`` extra) is imported here, only when a client is first asked for:
``cronix trigger`` and the CLI never pay its ~200 ms import otherwise. Every client uses
botocore's own retry modes (``standard`` by default, ``adaptive`` on request), which retry
throttling errors, 5xx answers and connection failures with exponential backoff and
jitter; cronix never loops around a call itself. ``max_attempts`` counts the first call
(botocore's ``total_max_attempts``).

Where clients point: the region and credentials come from the options when set, else
``AWS_REGION`` and botocore's usual chain (``AWS_PROFILE``, ``AWS_DEFAULT_REGION``,
instance and Lambda roles);
``endpoint_url`` — or botocore's own ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``
variables — points them at an emulator such as moto_server.

:func:`error_text` turns any botocore failure into the one-line reason cronix prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from cronix.errors import MissingDependencyError

__all__ = ["AwsSettings", "client", "error_code", "error_text", "is_aws_error"]


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """Where and how a client talks to AWS ("" means botocore's default chain)."""

    region: str = ""
    profile: str = ""
    endpoint_url: str = ""
    retry_mode: Literal["standard", "adaptive"] = "standard"
    max_attempts: int = 5
    connect_timeout: int = 5
    read_timeout: int = 30
    max_pool_connections: int = 10


def client(service: str, settings: AwsSettings | None = None) -> Any:
    """A boto3 client for ``service``; raise :class:`MissingDependencyError` without the extra.

    Configuration problems botocore finds at construction (an unknown profile, no region)
    propagate as botocore exceptions; callers turn them into their own errors with
    :func:`error_text`.
    """
    settings = settings or AwsSettings()
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise MissingDependencyError(f"AWS ({service})", "aws") from None
    from cronix._version import __version__

    # botocore reads AWS_DEFAULT_REGION; AWS_REGION (what Lambda sets, and the reference reads) too.
    region = settings.region or os.environ.get("AWS_REGION") or None
    session = boto3.session.Session(profile_name=settings.profile or None, region_name=region)
    config = Config(
        retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=settings.max_pool_connections,
        user_agent_extra=f"cronix/{__version__}",
    )
    return session.client(service, endpoint_url=settings.endpoint_url or None, config=config)


def is_aws_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from botocore (an API error, a connection or credential problem)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return False
    return isinstance(exc, (BotoCoreError, ClientError))


def error_code(exc: BaseException) -> str:
    """The API error code of a ``ClientError`` (``ResourceNotFoundException``), else ``""``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def error_text(exc: BaseException) -> str:
    """One line: the API's code and message, or botocore's own sentence (never a traceback)."""
    code = error_code(exc)
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
        return f"{code}: {message}" if message else code
    name = type(exc).__name__
    if name == "NoCredentialsError":
        return (
            "no AWS credentials found (set AWS_PROFILE, the profile option, or run where a role is attached)"
        )
    if name == "NoRegionError":
        return "no AWS region configured (set the region option, AWS_REGION or AWS_DEFAULT_REGION)"
    return str(exc).splitlines()[0] if str(exc) else name
