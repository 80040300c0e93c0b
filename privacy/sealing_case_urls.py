"""A case's sealing pages, under /cases/<number>/ (no namespace: privacy/case_urls.py)."""

from django.urls import path

from privacy import sealing_views

urlpatterns = [
    path("break-glass/", sealing_views.break_glass, name="case-break-glass"),
    path("seal/", sealing_views.seal, name="case-seal"),
    path("unseal/", sealing_views.unseal, name="case-unseal"),
    path("sealed-names/", sealing_views.name, name="case-seal-name"),
    path(
        "sealed-names/<int:user_id>/remove/",
        sealing_views.unname,
        name="case-seal-unname",
    ),
]
