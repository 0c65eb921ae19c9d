"""CLI tests reuse the reconciler's ``host`` fixture: a crontab, spec dir and lock under tmp."""

from __future__ import annotations

from tests.reconcile.conftest import host

__all__ = ["host"]
