from __future__ import annotations

from django.urls import path

from people import search, views

app_name = "people"
urlpatterns = [
    path("search/", search.search_page, name="search"),
    path("<int:person_id>/", views.person_page, name="person"),
    path("<int:person_id>/contacts/", views.add_contact, name="add-contact"),
    path("<int:person_id>/contacts/<int:contact_id>/end/", views.end_contact, name="end-contact"),
    path(
        "<int:person_id>/contacts/<int:contact_id>/reveal/",
        views.reveal_contact,
        name="reveal-contact",
    ),
    path("<int:person_id>/references/", views.add_reference, name="add-reference"),
    path(
        "<int:person_id>/references/<int:reference_id>/remove/",
        views.remove_reference,
        name="remove-reference",
    ),
]
