"""Who read a case, under /cases/<number>/ (no namespace: privacy/case_urls.py)."""

from django.urls import path

from privacy import audit_views

urlpatterns = [
    path("access-log/", audit_views.case_access_log, name="case-access-log"),
]
