"""Filled by its section (see privacy/admin.py)."""
