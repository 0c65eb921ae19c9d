"""Where the spec vectors this cronix ships with are, installed or in a source checkout.

The vectors are the project's contract (``spec/vectors``); ``cronix conformance run`` and
``cronix conformance backend`` use them by default, so both work from any directory once
cronix is installed. The wheel carries a copy at ``cronix/conformance/spec_vectors/`` (hatch
``force-include`` in ``pyproject.toml``: every file listed in :data:`SHIPPED` must be listed
there); an editable install or a checkout reads ``spec/vectors`` itself.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SHIPPED", "shipped_vectors"]

#: The vector files the wheel carries (keep in step with ``[tool.hatch.build.targets.wheel.force-include]``).
SHIPPED = ("manifest-vectors.json", "auth-vectors.json", "fire-jwt-vectors.json", "backend-vectors.json")

_INSTALLED = Path(__file__).resolve().parent / "spec_vectors"
_CHECKOUT = Path(__file__).resolve().parents[3] / "spec" / "vectors"


def shipped_vectors() -> Path:
    """The directory of this version's vector files."""
    return _INSTALLED if _INSTALLED.is_dir() else _CHECKOUT
