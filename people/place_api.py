"""The gazetteer part of /api/v1/ (cases.places): `POST places/suggest/` {"q"} -> up to ten
{uprn, address, postcode} (what was typed goes in the body, never the URL), and
`GET places/{uprn}/` -> the place and the cases linked to it that the caller may see. Staff who
see who is in a case only (others: 404); suggestions share the page's rate limit."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import places
from cases.payloads import StrictCharField
from people.place_views import over_suggest_rate, suggestion


class SuggestPayload(serializers.Serializer):
    q = StrictCharField(max_length=places.MAX_QUERY_CHARS, allow_blank=True)


class SuggestionSerializer(serializers.Serializer):
    uprn = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()


class PlaceCaseSerializer(serializers.Serializer):
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    category = serializers.CharField(source="case.category.code", default=None)
    created_at = serializers.DateTimeField(source="case.created_at")
    incident = serializers.BooleanField(help_text="The incident happened here.")
    address = serializers.BooleanField(help_text="Someone on the case has an address here.")


class PlaceRecordSerializer(serializers.Serializer):
    uprn = serializers.CharField(source="place.uprn")
    address = serializers.CharField(source="place.address")
    postcode = serializers.CharField(source="place.postcode")
    latitude = serializers.DecimalField(
        source="place.latitude", max_digits=9, decimal_places=6, allow_null=True
    )
    longitude = serializers.DecimalField(
        source="place.longitude", max_digits=9, decimal_places=6, allow_null=True
    )
    easting = serializers.DecimalField(
        source="place.easting", max_digits=10, decimal_places=2, allow_null=True
    )
    northing = serializers.DecimalField(
        source="place.northing", max_digits=10, decimal_places=2, allow_null=True
    )
    cases = PlaceCaseSerializer(many=True)


class PlaceSuggestView(APIView):
    @extend_schema(request=SuggestPayload, responses=SuggestionSerializer(many=True))
    def post(self, request: Request) -> Response:
        """Gazetteer places matching `q` (a postcode, the beginning of an address), at most ten.
        404 for staff who do not see who is in a case; 429 past the look-up rate."""
        if not places.may_match_places(request.user):
            raise Http404("No such page.")
        if over_suggest_rate(request):
            raise Throttled(detail="Too many look-ups: wait a minute.")
        payload = SuggestPayload(data=request.data)
        payload.is_valid(raise_exception=True)
        found = places.suggest(payload.validated_data["q"])
        return Response([suggestion(place) for place in found])


class PlaceView(APIView):
    @extend_schema(responses=PlaceRecordSerializer)
    def get(self, request: Request, uprn: str) -> Response:
        """A place and the cases linked to it (its incident, or an address of someone on it) that
        the caller may see, newest first (404 for an unknown UPRN)."""
        record = places.place_record(request.user, uprn, request=request)
        return Response(PlaceRecordSerializer(record).data)
