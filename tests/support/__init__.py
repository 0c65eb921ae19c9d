"""Shared test helpers: real components (servers, daemons) started per test session."""
