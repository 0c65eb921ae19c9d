"""``cronix-managed-ref``: the reference managed scheduler — a development and test server.

It implements ``spec/managed-scheduler.md`` (API v1) so the ``managed-jwt`` fire strategy
can be run end to end on one machine: ``cronix apply --backend managed`` arms its slots,
it fires each arm on time (sub-second), minting a fire token with its own key for every
attempt, retries like the spec says, and serves its JWKS for the app's SDK to verify.

It is **not a production scheduler**: one process, state in one JSON file (rewritten on
every change), no clustering, no persistence guarantees beyond that file, a single bearer
token for the whole API. Modules: :mod:`.store` (slots and the delivery log),
:mod:`.keys` (signing keys, JWKS), :mod:`.delivery` (one occurrence to the app, with
retries), :mod:`.clock` (the due-time loop), :mod:`.server` (the HTTP API) and
:mod:`.main` (the command line).
"""
