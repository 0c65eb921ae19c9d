"""Conformance: the language-neutral adapter and the runner for ``spec/vectors``.

The adapter (:mod:`~cronix.conformance.adapter`) answers the three questions every
cronix implementation must answer identically — canonicalize a manifest, sign a request,
verify a signature — over stdin/stdout. The runner (:mod:`~cronix.conformance.runner`)
feeds vector files to any adapter, ours or another implementation's.
"""
