"""Finding a person (issue 12 item 4): the staff page `/people/search/` and
`POST /api/v1/people/search/` {"q"}, over cases.people_search.find_people. Only staff who may see
who is in a case search people (others: 404). The words typed never reach a URL: the page's form
posts them and the results are shown under a search id kept in the searcher's session
(cases.searches), the API takes them in the body. Each search is audited like a case search
(AccessLog "search": who and when, never the words)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import searches
from cases.models import CasePerson
from cases.payloads import StrictCharField
from cases.people_search import PersonMatch, find_people
from cases.policy import can_see_identities, shows_person_details, visible_cases
from cases.selectors import audit_listing


def _search(user: AbstractBaseUser, q: str) -> list[dict[str, Any]]:
    """The people found, each with why and the numbers of their cases this user may see."""
    matches: list[PersonMatch] = find_people(user, q)
    numbers: dict[int, list[str]] = defaultdict(list)
    for person_id, number in (
        CasePerson.objects.filter(
            person__in=[match.person.pk for match in matches], case__in=visible_cases(user)
        )
        .order_by("-case__created_at")
        .values_list("person", "case__number")
        .distinct()
    ):
        numbers[person_id].append(number)
    return [
        {
            "id": match.person.pk,
            "name": match.person.name if shows_person_details(user, match.person) else "Restricted",
            "matched": list(match.reasons),
            "cases": numbers[match.person.pk],
        }
        for match in matches
    ]


def _may_search(user: AbstractBaseUser) -> None:
    if not can_see_identities(user):
        raise Http404("No such page.")


@never_cache
@require_http_methods(["GET", "POST"])
def search_page(request: HttpRequest) -> HttpResponse:
    _may_search(request.user)
    if request.method == "POST":
        search_id = searches.remember(request, request.POST.get("q", ""))
        url = reverse("people:search")
        return redirect(f"{url}?search={search_id}" if search_id else url)
    search_id, q = searches.recall(request)
    results = _search(request.user, q) if q else []
    if q:
        audit_listing(request.user, request, searched=True)
    return render(
        request,
        "people/search.html",
        {"q": q, "results": results, "searched": bool(search_id)},
    )


class PersonSearchSerializer(serializers.Serializer):
    q = StrictCharField(max_length=searches.MAX_QUERY)


class PersonFoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    matched = serializers.ListField(child=serializers.CharField())
    cases = serializers.ListField(child=serializers.CharField())


class PersonSearchView(APIView):
    @extend_schema(request=PersonSearchSerializer, responses=PersonFoundSerializer(many=True))
    def post(self, request: Request) -> Response:
        """People this user may see matching `q` (a name spelt any way, a phone number, a
        reference), best first, each with why it matched and their cases this user may see.
        404 for staff who may not see who is in a case."""
        _may_search(request.user)
        payload = PersonSearchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        audit_listing(request.user, request, searched=True)
        return Response(_search(request.user, payload.validated_data["q"]))
