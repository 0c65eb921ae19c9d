"""secrets (to be built)."""
