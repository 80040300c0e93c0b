"""Twilio's voice webhooks for calls that ring operators, under /intake/twilio/voice/ (project/urls
mounts them before intake's own, which keep the recording and transcription callbacks; the status
callback here takes the place of intake's at the same address)."""

from __future__ import annotations

from django.urls import path

from live import voice_views

app_name = "live-voice"
urlpatterns = [
    path("", voice_views.incoming, name="incoming"),
    path("ring/whisper/", voice_views.whisper, name="whisper"),
    path("ring/accept/", voice_views.accept, name="accept"),
    path("ring/dialled/", voice_views.dialled, name="dialled"),
    path("status/", voice_views.status, name="status"),
]
