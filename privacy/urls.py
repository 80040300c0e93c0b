"""The data-protection pages under /privacy/ (staff only; each section's own module)."""

from django.urls import include, path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("retention/", include("privacy.retention_urls")),
    path("erasure/", include("privacy.erasure_urls")),
    path("subject-access/", include("privacy.sar_urls")),
    path("break-glass/", include("privacy.sealing_urls")),
    path("access/", include("privacy.audit_urls")),
]
