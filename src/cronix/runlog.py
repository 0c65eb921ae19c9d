"""The local run log (one JSON line per finished fire) and history folding (to be built)."""
