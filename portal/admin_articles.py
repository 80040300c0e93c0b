"""Filled in by the portal work."""
