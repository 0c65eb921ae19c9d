"""The ``cronix`` command line: a thin shell over the library.

Each command lives in its own module under :mod:`cronix.cli.commands`, parses its flags,
calls one library function and renders the result. Errors are typed
(:mod:`cronix.errors`) and turned into exit codes in exactly one place,
:func:`cronix.cli.app.main`.
"""
