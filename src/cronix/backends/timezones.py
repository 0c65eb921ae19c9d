"""Which timezone a host scheduler fires in, and whether two zone names mean the same rules.

Host schedulers such as cron evaluate schedules in the host's zone. A job's IANA zone is
"the same" as the host's when both names resolve to identical tz database rules — so
``UTC``, ``Etc/UTC`` and ``Etc/Universal`` agree, and ``Europe/Berlin`` agrees with a host
whose ``/etc/localtime`` is a copy of it.
"""

from __future__ import annotations

import os
from functools import lru_cache

__all__ = ["host_timezone", "same_zone", "zone_rules"]

_ZONEINFO_DIRS = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo")


def host_timezone(localtime: str = "/etc/localtime", timezone_file: str = "/etc/timezone") -> str:
    """The host's zone name: the ``/etc/localtime`` link target, ``/etc/timezone``, else ``UTC``."""
    try:
        target = os.path.realpath(localtime)
        for base in _ZONEINFO_DIRS:
            prefix = os.path.realpath(base) + os.sep
            if target.startswith(prefix):
                return target[len(prefix) :]
    except OSError:  # pragma: no cover - realpath does not raise on Linux
        pass
    try:
        with open(timezone_file, encoding="utf-8") as fh:
            name = fh.read().strip()
            if name:
                return name
    except OSError:
        pass
    return "UTC"


@lru_cache(maxsize=256)
def zone_rules(name: str) -> bytes | None:
    """The TZif bytes of zone ``name`` (system database first, then the tzdata package)."""
    if not name or name.startswith("/") or ".." in name.split("/"):
        return None
    for base in _ZONEINFO_DIRS:
        try:
            with open(os.path.join(base, name), "rb") as fh:
                return fh.read()
        except OSError:
            continue
    try:
        from importlib.resources import files

        return files("tzdata.zoneinfo").joinpath(name).read_bytes()
    except (ImportError, OSError, ValueError):
        return None


def same_zone(a: str, b: str) -> bool:
    """Whether zones ``a`` and ``b`` have identical rules (equal names always do)."""
    if a == b:
        return True
    rules_a, rules_b = zone_rules(a), zone_rules(b)
    return rules_a is not None and rules_a == rules_b
