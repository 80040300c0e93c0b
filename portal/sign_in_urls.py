"""Signing in and out of the portal (filled in by the sign-in work; see /work/notes). "leave" is
the quick exit every portal page's "Leave this site" button points at."""

from django.urls import path

from portal import sign_in

urlpatterns = [
    path("leave/", sign_in.leave, name="leave"),
]
