"""The app SDK."""
