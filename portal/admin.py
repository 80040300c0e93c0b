"""The portal's admin pages: update message types, articles, accesses (one module each)."""

from portal import admin_access, admin_articles, admin_updates  # noqa: F401  (they register)
