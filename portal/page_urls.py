"""The signed-in victim's pages. No case reference, id or personal data in any address: the case
is the portal session's."""

from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("messages/", views.messages, name="messages"),
]
