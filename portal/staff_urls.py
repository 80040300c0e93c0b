"""/cases/<number>/portal/: what staff do about a case's portal from the case page (all POST; the
panel is drawn by portal.staff_panel)."""

from django.urls import path

from portal import staff_views

app_name = "portal-staff"
urlpatterns = [
    path("invite/", staff_views.portal_invite, name="invite"),
    path("revoke/", staff_views.portal_revoke, name="revoke"),
    path("unlock/", staff_views.portal_unlock, name="unlock"),
    path("reply/", staff_views.portal_reply, name="reply"),
    path("update/", staff_views.portal_update, name="update"),
    path("article/", staff_views.portal_article, name="article"),
]
