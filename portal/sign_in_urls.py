"""Signing in and out of the portal, the quick exit every portal page's "Leave this site" button
points at, and the victim's safety settings (the duress code). No case reference or code in any
of these URLs: both wait in the session or the form."""

from django.urls import path

from portal import sign_in

urlpatterns = [
    path("sign-in/", sign_in.sign_in, name="sign-in"),
    path("sign-in/code/", sign_in.sign_in_code, name="sign-in-code"),
    path("sign-out/", sign_in.sign_out, name="sign-out"),
    path("signed-out/", sign_in.signed_out, name="signed-out"),
    path("safety/", sign_in.safety, name="safety"),
    path("leave/", sign_in.leave, name="leave"),
]
