"""config (to be built)."""
