"""Backends: the one Backend protocol and its in-tree implementations."""
