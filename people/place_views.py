"""The gazetteer's pages (cases.places): `/places/<uprn>/`, a place and the cases linked to it that
the user may see, and `POST /places/suggest/`, the suggestions the forms' address boxes show as
someone types (static/js/places.js). What was typed comes in the POST body, never a URL, and is
neither kept nor logged. Only staff who see who is in a case use them (others: 404)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from cases import places
from cases.models import Place

# As-you-type look-ups, per person: a box asks a few times a second at most while someone types
# (places.js waits for a pause); many more is a script walking the gazetteer.
SUGGEST_RATE = settings.PLACE_SUGGEST_RATE


def over_suggest_rate(request: HttpRequest) -> bool:
    """Count one look-up of this user (the page and the API share the count)."""
    return is_ratelimited(
        request, group="place-suggest", key="user", rate=SUGGEST_RATE, method="POST",
        increment=True,
    )  # fmt: skip


def suggestion(place: Place) -> dict[str, str]:
    return {"uprn": place.uprn, "address": place.address, "postcode": place.postcode}


@never_cache
@require_POST
def suggest(request: HttpRequest) -> HttpResponse:
    if not places.may_match_places(request.user):
        raise Http404("No such page.")
    if over_suggest_rate(request):
        return JsonResponse({"detail": "Too many look-ups: wait a minute."}, status=429)
    found = places.suggest(request.POST.get("q", ""))
    return JsonResponse({"results": [suggestion(place) for place in found]})


@never_cache
@require_GET
def place_page(request: HttpRequest, uprn: str) -> HttpResponse:
    record = places.place_record(request.user, uprn, request=request)
    return render(request, "people/place.html", {"record": record, "place": record.place})


class MatchPlaceForm(forms.Form):
    """Match one of a person's addresses to a gazetteer place (the person page; the "Find" box
    fills the UPRN from the suggestions, and it can be typed where scripts do not run)."""

    uprn = forms.CharField(
        label="UPRN of the place", max_length=12, required=False,
        help_text="Leave empty to take a match off.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip
    reason = forms.CharField(
        label="Why", max_length=500, help_text="Kept in the history with the change.",
        error_messages={"required": "Say why"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip

    prefix = "place"

    def clean_uprn(self) -> Place | None:
        uprn = self.cleaned_data["uprn"].strip()
        if not uprn:
            return None
        place = places.place_by_uprn(uprn)
        if place is None:
            raise forms.ValidationError(UNKNOWN_UPRN)
        return place


UNKNOWN_UPRN = "No place in the gazetteer has that UPRN: choose one of the suggestions."
