"""The one error of secret resolution, in its own module so the resolvers of each scheme can raise it."""

from __future__ import annotations

from cronix.errors import ConfigError

__all__ = ["SecretError"]


class SecretError(ConfigError):
    """A secret reference is malformed or cannot be resolved (exit 2; the trigger maps it to 3)."""
