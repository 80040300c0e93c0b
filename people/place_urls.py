from __future__ import annotations

from django.urls import path

from people import place_views, views

app_name = "places"
urlpatterns = [
    path("suggest/", place_views.suggest, name="suggest"),
    path("addresses/<int:contact_id>/match/", views.match_address, name="match-address"),
    path("<str:uprn>/", place_views.place_page, name="place"),
]
