"""reconcile (to be built)."""
