"""The operator console under /console/ (project/urls.py). Every view here is staff-only (deny by
default, accounts.middleware) and further needs the work or supervise permission."""

from __future__ import annotations

from django.urls import path

from helpline import views

app_name = "helpline"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("rows/", views.rows, name="rows"),
    path("next/", views.take_next, name="take-next"),
    path("team/", views.team, name="team"),
    path("<str:number>/claim/", views.claim, name="claim"),
    path("<str:number>/release/", views.release, name="release"),
    path("<str:number>/verify/", views.verify, name="verify"),
    path("<str:number>/discard/", views.discard, name="discard"),
    path("<str:number>/reinstate/", views.reinstate, name="reinstate"),
    path("<str:number>/reassign/", views.reassign, name="reassign"),
]
