"""The risk questionnaire admins edit (questions, which count, which are critical, the thresholds)
and the assessments made with it. Every assessment is kept: a repeat is a new row, and the case
carries the latest outcome (Case.risk_level, risk_score, risk_assessed_at) for lists and figures."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models import Case, RiskLevel
from project.crypto import EncryptedJSONField, EncryptedTextField


class Answer(models.TextChoices):
    """How a question was answered. "Don't know" never counts towards the score."""

    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Don't know"


class Questionnaire(models.Model):
    """One version of the checklist. Exactly one is active: new assessments use it; old ones keep
    pointing at the version they were made with."""

    name = models.CharField(max_length=200)
    version = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=False)
    high_threshold = models.PositiveSmallIntegerField(
        "high risk from this many yes answers",
        default=14,
        validators=[MinValueValidator(1)],
        help_text="A score at or above this is high risk (a MARAC referral should be considered).",
    )
    medium_threshold = models.PositiveSmallIntegerField(
        "medium risk from this many yes answers",
        default=10,
        validators=[MinValueValidator(1)],
        help_text="A score at or above this, or a yes to any critical question, is medium risk.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_active", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_questionnaire"
            ),
            models.UniqueConstraint(fields=["name", "version"], name="questionnaire_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"

    def clean(self) -> None:
        if (
            self.medium_threshold
            and self.high_threshold
            and (self.medium_threshold > self.high_threshold)
        ):
            raise ValidationError({"medium_threshold": "Medium risk cannot start above high risk."})


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(default=100)
    # the heading the question is shown under (a fieldset on the form), e.g. "Children"
    section = models.CharField(max_length=100)
    code = models.SlugField(max_length=64)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    counts = models.BooleanField("a yes counts towards the score", default=True)
    critical = models.BooleanField(
        "a yes means at least medium risk",
        default=False,
        help_text="For signs that on their own call for closer attention (strangling, threats "
        "to kill...).",
    )
    is_active = models.BooleanField(
        default=True, help_text="Retire a question rather than delete it: old answers keep it."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["questionnaire", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_code")
        ]

    def __str__(self) -> str:
        return self.text


class Assessment(models.Model):
    """One completed questionnaire on a case. Answers, notes and the reason for a professional
    judgement are encrypted; the score and level are not (lists and figures count them)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="risk_assessments")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    answers = EncryptedJSONField(default=dict)  # {question id: "yes" | "no" | "unknown"}
    notes = EncryptedTextField(blank=True, default="")
    professional_judgement = models.BooleanField(default=False)
    judgement_reason = EncryptedTextField(blank=True, default="")
    score = models.PositiveSmallIntegerField()  # yes answers to questions that count
    out_of = models.PositiveSmallIntegerField()  # questions that count
    level = models.CharField(max_length=8, choices=RiskLevel.choices)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_at", "-pk"]
        # the case page and GET .../risk/: a case's assessments, newest first
        indexes = [models.Index(fields=["case", "-completed_at"], name="risk_case_latest")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.score} of {self.out_of}) on case {self.case_id}"

    @property
    def marac_prompt(self) -> bool:
        """High risk: a referral to the MARAC (multi-agency risk conference) should be considered."""
        return self.level == RiskLevel.HIGH
