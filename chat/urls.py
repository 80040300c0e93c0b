"""`/chat/`: the public chat page, and the operators' take and end (their case in the body)."""

from __future__ import annotations

from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("", views.page, name="page"),
    path("take/", views.take, name="take"),
    path("end/", views.end, name="end"),
]
