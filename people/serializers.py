"""A person as JSON (GET /api/v1/people/{id}/, CONTRACT.md Additions)."""

from __future__ import annotations

from rest_framework import serializers


class PersonContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()  # an extension: which one to end
    kind = serializers.CharField(source="kind.code")
    value = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    current = serializers.SerializerMethodField()

    def get_current(self, contact: object) -> bool:
        return contact.valid_to is None  # type: ignore[attr-defined]


class PersonReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()  # an extension: which one to remove
    kind = serializers.CharField(source="kind.code")
    value = serializers.CharField()
    issued_by = serializers.CharField()


class PersonCaseSerializer(serializers.Serializer):
    number = serializers.CharField(source="case.number")
    status = serializers.CharField(source="case.status")
    role = serializers.CharField()
    # an extension: how a perpetrator or a reporter is related to the victim
    relationship = serializers.CharField(source="relationship.code", allow_null=True, default=None)
    created_at = serializers.DateTimeField(source="case.created_at")


class PersonRecordSerializer(serializers.Serializer):
    """A PersonRecord (people.selectors): the person and only the cases the user may see."""

    id = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    age = serializers.IntegerField(source="person.age", allow_null=True)
    date_of_birth = serializers.CharField(source="person.date_of_birth")
    phone = serializers.CharField(source="person.phone")
    address = serializers.CharField(source="person.address")
    language = serializers.CharField(source="person.language.code", allow_null=True, default=None)
    # every way of reaching them with the dates it held; previous addresses are the contacts of
    # kind "address" that have ended
    contacts = PersonContactSerializer(many=True)
    references = PersonReferenceSerializer(many=True)
    cases = PersonCaseSerializer(many=True)
