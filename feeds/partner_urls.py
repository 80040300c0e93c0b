from __future__ import annotations

from django.urls import path

from feeds import partner_views

app_name = "partners"
urlpatterns = [
    path("", partner_views.partner_list, name="list"),
    path("<slug:slug>/events/", partner_views.events, name="events"),
    path("<slug:slug>/events/<int:event_id>/match/", partner_views.match_event, name="event-match"),
    path("<slug:slug>/deliveries/", partner_views.deliveries, name="deliveries"),
    path(
        "<slug:slug>/deliveries/<int:delivery_id>/retry/",
        partner_views.retry_delivery,
        name="delivery-retry",
    ),
]
