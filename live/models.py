"""Live conversations on the phone: operators' states, each helpline's ringing settings, and the
calls themselves (incoming calls that ring operators, and operators' safe call-backs)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OperatorState(models.Model):
    """Where an operator is now (UX.md 6, 8): only available operators are rung or offered chats.
    Busy while on a call or chat, then wrap-up until `until`, then available again. No row: away."""

    class State(models.TextChoices):
        AVAILABLE = "available", "Available"
        BUSY = "busy", "Busy"
        WRAP_UP = "wrap_up", "Wrap-up"
        AWAY = "away", "Away"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="operator_state",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.AWAY)
    since = models.DateTimeField(default=timezone.now)
    # the end of wrap-up: from then on the operator counts as available
    until = models.DateTimeField(null=True, blank=True)
    # while busy or wrapping up: "call" or "chat", and the conversation's case
    activity = models.CharField(max_length=16, blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["state", "since"], name="operator_state_since")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.state}"


class LineSettings(models.Model):
    """How a helpline's incoming calls ring its operators. No row: the settings' defaults."""

    class RingMode(models.TextChoices):
        SIMULTANEOUS = "simultaneous", "All available operators at once"
        IN_TURN = "in_turn", "One operator after another"

    helpline = models.OneToOneField(
        "accounts.Organisation",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="line_settings",
        limit_choices_to={"kind": "helpline"},
    )
    ring_mode = models.CharField(
        max_length=16, choices=RingMode.choices, default=RingMode.SIMULTANEOUS
    )
    ring_seconds = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="How long operators are rung before the caller hears the greeting and may "
        "leave a message.",
    )
    wrap_up_seconds = models.PositiveSmallIntegerField(
        default=120,
        validators=[MaxValueValidator(3600)],
        help_text="How long an operator stays in wrap-up after a call or chat.",
    )

    class Meta:
        verbose_name = "line settings"
        verbose_name_plural = "line settings"

    def __str__(self) -> str:
        return f"Line settings of {self.helpline_id}"


class Call(models.Model):
    """One live call on a case: an incoming call that rang operators, or a call-back an operator
    started. Its outcome and duration are what the case page shows; never a phone number."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Incoming call"
        CALLBACK = "callback", "Call-back"

    class Outcome(models.TextChoices):
        RINGING = "ringing", "Ringing"
        ANSWERED = "answered", "Answered"
        COMPLETED = "completed", "Talked"
        NO_ANSWER = "no_answer", "No operator answered: message recorded"
        NOBODY_AVAILABLE = "nobody_available", "No operator available: message recorded"
        HUNG_UP = "hung_up", "Caller hung up before an answer"
        REFUSED = "refused", "Not placed: safe contact said no"
        MACHINE = "machine", "Voicemail answered: hung up"
        NOT_REACHED = "not_reached", "Victim did not answer"
        FAILED = "failed", "Failed"

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="calls")
    helpline = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(max_length=16, choices=Direction.choices)
    # the provider's id of the call: the caller's call (inbound), the operator's leg (call-back)
    call_sid = models.CharField(max_length=64, blank=True)
    # the other leg once dialled: the operator who answered (inbound), the victim (call-back)
    leg_sid = models.CharField(max_length=64, blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices, default=Outcome.RINGING)
    reason = models.CharField(max_length=300, blank=True)  # staff words; never personal data
    rung = models.JSONField(default=list, blank=True)  # operator ids rung, in order
    caller_id_withheld = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "call_sid"],
                condition=~Q(call_sid=""),
                name="one_call_per_sid",
            )
        ]
        indexes = [models.Index(fields=["case", "started_at"], name="call_case_started")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.pk}"
