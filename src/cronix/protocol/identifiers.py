"""App ids and job names: ``^[a-z][a-z0-9-]{0,62}$``.

Its own tiny module because ``cronix trigger`` checks its ``<app>.<job>`` argument on
every fire and must not load the whole manifest validator to do so.
"""

from __future__ import annotations

import re

__all__ = ["ID_PATTERN", "is_valid_id"]

ID_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,62}")


def is_valid_id(value: str) -> bool:
    """An app id or job name as the manifest allows them."""
    return ID_PATTERN.fullmatch(value) is not None
