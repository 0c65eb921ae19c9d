"""``cronix trigger``: the per-fire shim (spec file, locks, signed HTTP fire loop, run log).

Imports only the standard library and :mod:`cronix.protocol` on its hot path.
"""
