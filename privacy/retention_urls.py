"""/privacy/retention/ (namespace privacy): what retention removes next, and legal holds."""

from django.urls import path

from privacy import retention_views

urlpatterns = [
    path("", retention_views.retention_page, name="retention"),
    path("holds/", retention_views.hold_place, name="hold-place"),
    path("holds/<int:hold_id>/lift/", retention_views.hold_lift, name="hold-lift"),
    path("holds/case/<str:number>/", retention_views.case_hold_place, name="case-hold-place"),
]
