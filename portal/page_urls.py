"""Filled in by the portal work (see /work/notes)."""

urlpatterns: list = []
