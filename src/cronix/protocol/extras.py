"""The one place that spells an install hint: ``pip install 'cronix-py[redis]'``.

The distribution is ``cronix-py`` (the name ``cronix`` on the public index belongs to
another project, D-607); the import package and the command stay ``cronix``. Every
message that tells a user to install an extra — the CLI's, the trigger's, the SDK's, a
plugin's — builds it here, so no module can drift back to ``pip install 'cronix[…]'``.
It lives at the bottom layer because the SDK and the trigger's fast path may import only
the protocol; it imports nothing.
"""

from __future__ import annotations

__all__ = ["DISTRIBUTION", "EXTRAS", "install_hint"]

#: The name cronix is installed under (``pip install cronix-py``).
DISTRIBUTION = "cronix-py"

#: The extras of ``pyproject.toml`` (``tests/test_install_lines.py`` keeps them equal).
EXTRAS = frozenset(
    {"rich", "kubernetes", "aws", "redis", "plugins", "otel", "jwt", "fastapi", "flask", "django", "all"}
)


def install_hint(extra: str) -> str:
    """``pip install 'cronix-py[<extra>]'``; an unknown extra is a bug in the caller."""
    if extra not in EXTRAS:
        raise ValueError(f"no such extra: {extra!r}")
    return f"pip install '{DISTRIBUTION}[{extra}]'"
