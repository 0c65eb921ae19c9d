"""``python -m cronix`` is the ``cronix`` command."""

from cronix.cli.entry import main

main()
