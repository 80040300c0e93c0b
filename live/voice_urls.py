"""Twilio's voice webhooks for calls that ring operators, under /intake/twilio/voice/ (project/urls
mounts them before intake's own, which keep the recording, transcription and status callbacks)."""

from __future__ import annotations

from django.urls import path

from intake import views as intake_views

app_name = "live-voice"
urlpatterns = [
    path("", intake_views.voice, name="incoming"),
]
