"""/privacy/break-glass/: the review queue, and opening a sealed case by its number."""

from django.urls import path

from privacy import sealing_views

urlpatterns = [
    path("", sealing_views.queue, name="break-glass-queue"),
    path("open/", sealing_views.open_sealed, name="break-glass-open"),
    path("<int:grant_id>/review/", sealing_views.review, name="break-glass-review"),
]
