#!/usr/bin/env bash
# Regenerate the checked-in gRPC stubs of the plugin protocol from spec/plugin/backend.proto.
#
#   scripts/gen_plugin_stubs.sh [OUT_DIR]     (default: src/cronix/plugins/v1)
#
# Uses the grpcio-tools pinned in the `codegen` dependency group (pyproject.toml); its
# version is the floor of grpcio in the `plugins` extra, because generated *_pb2_grpc.py
# refuses an older grpcio. The proto is staged as cronix/plugins/v1/backend.proto so the
# generated modules import each other as `cronix.plugins.v1.backend_pb2` (a top-level
# `import backend_pb2` would fail inside the package). tests/plugins/test_stubs.py
# regenerates into a temp dir and diffs against the checked-in files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-src/cronix/plugins/v1}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/proto/cronix/plugins/v1" "$STAGE/out"
cp spec/plugin/backend.proto "$STAGE/proto/cronix/plugins/v1/backend.proto"
"$PY" -m grpc_tools.protoc -I"$STAGE/proto" \
  --python_out="$STAGE/out" --pyi_out="$STAGE/out" --grpc_python_out="$STAGE/out" \
  cronix/plugins/v1/backend.proto
mkdir -p "$OUT"
cp "$STAGE"/out/cronix/plugins/v1/backend_pb2.py "$STAGE"/out/cronix/plugins/v1/backend_pb2.pyi \
  "$STAGE"/out/cronix/plugins/v1/backend_pb2_grpc.py "$OUT"/
