"""The gazetteer in the admin (cases.places): what every helpline shares, so its page is for
superusers and helpline administrators (accounts.admin_access), who may look places up and
correct one's address, postcode or coordinates; to everyone else it is read-only by not being
there. Places come from imports (feeds, kind "places"): none is added here, and none deleted (a
case or an address may point at it; rolling an import back removes what it made)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.admin_access import SystemWideAdmin
from cases.models import Place
from cases.places import normalise, normalise_postcode, place_by_uprn, search_text


@admin.register(Place)
class PlaceAdmin(SystemWideAdmin, admin.ModelAdmin):
    list_display = ["uprn", "address", "postcode", "latitude", "longitude", "updated_at"]
    search_fields = ["uprn"]  # the search itself is get_search_results: index-served look-ups
    search_help_text = "A UPRN, a postcode or the beginning of an address."
    fields = ["uprn", "address", "postcode", "latitude", "longitude", "easting", "northing",
              "batch_id", "created_at", "updated_at"]  # fmt: skip
    readonly_fields = ["uprn", "batch_id", "created_at", "updated_at"]
    show_full_result_count = False  # the gazetteer has millions of rows: no second count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Place], search_term: str
    ) -> tuple[QuerySet[Place], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            place = place_by_uprn(term)
            return queryset.filter(pk=place.pk if place else None), False
        by_postcode = queryset.filter(postcode=normalise_postcode(term))
        return by_postcode | queryset.filter(search_text__startswith=normalise(term)), False

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        # the suggestions match on search_text: it follows the corrected address
        obj.search_text = search_text(obj.address)
        obj.postcode = normalise_postcode(obj.postcode)
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
