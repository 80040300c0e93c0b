"""Filled by its section (see privacy/urls.py)."""

urlpatterns: list = []
