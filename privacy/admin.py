"""Data protection's admin pages, one module per section."""

from privacy import admin_audit, admin_erasure, admin_retention, admin_sar  # noqa: F401
