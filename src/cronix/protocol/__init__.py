"""The wire contract of cronix, pure and standard-library only.

Submodules, each importable on its own (nothing is imported here, so ``cronix trigger``
and the app SDK pay only for what they use):

* :mod:`~cronix.protocol.manifest` — the typed, normalized manifest; parse and canonical JSON
* :mod:`~cronix.protocol.validation` — every manifest rule, reported as issues with paths
* :mod:`~cronix.protocol.identifiers` — the app-id / job-name rule
* :mod:`~cronix.protocol.jsondecode` — strict decoding of manifest bytes
* :mod:`~cronix.protocol.schedule` — schedule grammar and validation
* :mod:`~cronix.protocol.firetimes` — next fire times in a timezone, across DST
* :mod:`~cronix.protocol.ownership` — resource names and the ownership hash
* :mod:`~cronix.protocol.signing` — HMAC-SHA256 sign/verify of ``X-Cron-Signature``
* :mod:`~cronix.protocol.headers` — header names and well-known paths
* :mod:`~cronix.protocol.specfile` — trigger spec files written by apply, read by trigger
* :mod:`~cronix.protocol.triggerlog` — the trigger's log messages and keys, as history reads them
* :mod:`~cronix.protocol.gojson` — JSON text exactly as Go writes it
* :mod:`~cronix.protocol.errors` — the root of the error tree
"""
