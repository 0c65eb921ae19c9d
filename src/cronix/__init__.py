"""cronix: cron jobs as code.

An application declares its scheduled jobs next to their handlers and serves them as a
signed JSON manifest; ``cronix apply`` reconciles that manifest onto the host's scheduler
and ``cronix trigger`` fires each job as an HMAC-signed HTTP request.

This package module imports nothing on purpose: ``cronix trigger`` and the app SDK must
start fast, so every subpackage is imported only by the code that needs it.
"""

from cronix._version import __version__

__all__ = ["__version__"]
