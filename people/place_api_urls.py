from __future__ import annotations

from django.urls import path

from people.place_api import PlaceSuggestView, PlaceView

urlpatterns = [
    path("places/suggest/", PlaceSuggestView.as_view(), name="place-suggest"),
    path("places/<str:uprn>/", PlaceView.as_view(), name="place"),
]
