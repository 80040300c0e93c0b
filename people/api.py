"""The person part of /api/v1/: thin views over people.selectors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.policy import shows_person_details
from people.selectors import person_record
from people.serializers import PersonRecordSerializer


class PersonView(APIView):
    @extend_schema(responses=PersonRecordSerializer)
    def get(self, request: Request, person_id: int) -> Response:
        """A person and the cases of theirs this user may see (404 otherwise); of a person under
        restricted processing, only that, unless the user decides erasures."""
        record = person_record(request.user, person_id, request=request)
        if not shows_person_details(request.user, record.person):
            return Response({"id": record.person.pk, "restricted": True})
        return Response(PersonRecordSerializer(record).data)
