"""The risk API's shapes (an extension of CONTRACT.md "Additions")."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from risk.models import Answer, Assessment, Question, Questionnaire


class QuestionSerializer(serializers.ModelSerializer[Question]):
    class Meta:
        model = Question
        fields = ["id", "code", "section", "text", "help_text", "counts", "critical"]


class QuestionnaireSerializer(serializers.ModelSerializer[Questionnaire]):
    questions = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Questionnaire
        fields = ["id", "name", "version", "high_threshold", "medium_threshold", "answers",
                  "questions"]  # fmt: skip

    def get_questions(self, questionnaire: Questionnaire) -> list[dict[str, Any]]:
        questions = questionnaire.questions.filter(is_active=True)
        return QuestionSerializer(questions, many=True).data  # type: ignore[return-value]

    def get_answers(self, questionnaire: Questionnaire) -> list[dict[str, str]]:
        return [{"code": value, "label": label} for value, label in Answer.choices]


class CompleteSerializer(serializers.Serializer[Any]):
    """POST .../risk/: an answer to every active question, keyed by question id."""

    answers = serializers.DictField(child=serializers.CharField(allow_blank=True), allow_empty=True)
    professional_judgement = serializers.BooleanField(default=False)
    judgement_reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    notes = serializers.CharField(max_length=5000, allow_blank=True, default="")


class OutcomeSerializer(serializers.ModelSerializer[Assessment]):
    """What POST answers, and all a reader without identities sees of an assessment."""

    marac_prompt = serializers.BooleanField(read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "level", "score", "out_of", "completed_at", "marac_prompt"]


class AssessmentSerializer(OutcomeSerializer):
    """An assessment in full, for those who may see who is in the case."""

    completed_by = serializers.CharField(source="completed_by.get_username", read_only=True)

    class Meta(OutcomeSerializer.Meta):
        fields = [*OutcomeSerializer.Meta.fields, "completed_by", "professional_judgement",
                  "judgement_reason", "notes", "answers"]  # fmt: skip
