"""A case's data-protection pages, under /cases/<number>/ (sealing, break-glass, who read it)."""

from django.urls import include, path

urlpatterns = [
    path("", include("privacy.sealing_case_urls")),
    path("", include("privacy.audit_case_urls")),
]
