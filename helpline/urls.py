"""The operator console under /console/ (project/urls.py). Every view here is staff-only (deny by
default, accounts.middleware) and further needs the work or supervise permission."""

from __future__ import annotations

from django.urls import path

from helpline import queue, team, views

app_name = "helpline"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("rows/", queue.rows, name="rows"),
    path("next/", views.take_next, name="take-next"),
    path("team/", team.team, name="team"),
    path("<str:number>/claim/", views.claim, name="claim"),
    path("<str:number>/release/", views.release, name="release"),
    path("<str:number>/verify/", views.verify, name="verify"),
    path("<str:number>/discard/", views.discard, name="discard"),
    path("<str:number>/reinstate/", team.reinstate, name="reinstate"),
    path("<str:number>/reassign/", team.reassign, name="reassign"),
]
