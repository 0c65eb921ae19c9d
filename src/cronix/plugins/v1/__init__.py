"""Generated gRPC stubs of the plugin protocol ``cronix.plugin.v1`` (do not edit).

Source: ``spec/plugin/backend.proto``; regenerate with ``scripts/gen_plugin_stubs.sh``.
They import ``grpc`` and ``google.protobuf``, so only code that actually talks to a
plugin imports this package.
"""
