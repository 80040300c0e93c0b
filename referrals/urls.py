"""Casework pages. Cases are named by number and referrals and follow-ups by id: no personal data
in any address. Every view here is staff-only (deny by default, accounts.middleware); which case a
user reaches is the access policy's. Mounted at the root: `cases/<number>/<action>/` has one more
segment than the case page's `cases/<number>/`, so the two never match the same address."""

from __future__ import annotations

from django.urls import path

from referrals import views, workspace

app_name = "referrals"
urlpatterns = [
    path("casework/", workspace.workspace, name="workspace"),
    path("cases/<str:number>/refer/", views.refer, name="refer"),
    path("cases/<str:number>/services/new/", views.log_service, name="log-service"),
    path("cases/<str:number>/follow-ups/new/", views.add_follow_up, name="add-follow-up"),
    path("cases/<str:number>/notes/", views.add_note, name="add-note"),
    path("cases/<str:number>/resolve/", views.resolve, name="resolve"),
    path("cases/<str:number>/close/", views.close, name="close"),
    path("cases/<str:number>/send-back/", views.send_back, name="send-back"),
    path("cases/<str:number>/reopen/", views.reopen, name="reopen"),
    path("referrals/<int:referral_id>/accept/", views.accept, name="accept"),
    path("referrals/<int:referral_id>/decline/", views.decline, name="decline"),
    path("referrals/<int:referral_id>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "referrals/<int:referral_id>/shown-to-victim/",
        views.show_to_victim,
        name="show-to-victim",
    ),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow-up-done"),
]
