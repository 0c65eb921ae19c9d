"""Out-of-tree backend plugins over gRPC."""
