"""One module per ``cronix`` command; each exposes ``command`` (a click command)."""
