"""Erasure requests under /privacy/erasure/ (namespace "privacy")."""

from django.urls import path

from privacy import erasure_views

urlpatterns = [
    path("", erasure_views.erasure_list, name="erasure-list"),
    path("new/", erasure_views.erasure_new, name="erasure-new"),
    path("<int:pk>/", erasure_views.erasure_detail, name="erasure-detail"),
    path("<int:pk>/decide/", erasure_views.erasure_decide, name="erasure-decide"),
]
