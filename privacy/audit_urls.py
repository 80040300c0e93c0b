"""/privacy/access/: the unusual-access alerts and marking one reviewed."""

from django.urls import path

from privacy import audit_views

urlpatterns = [
    path("", audit_views.alerts, name="access-alerts"),
    path("<int:alert_id>/reviewed/", audit_views.review_alert, name="access-alert-review"),
]
