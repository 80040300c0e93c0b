"""The risk assessment page. Mounted at the root beside referrals' case pages: a case is named by
its number only, never anything personal in the address."""

from __future__ import annotations

from django.urls import path

from risk import views

app_name = "risk"
urlpatterns = [
    path("cases/<str:number>/risk/", views.assess, name="assess"),
]
