"""Filled by its section (see privacy/tasks.py)."""
