from __future__ import annotations

from django.urls import path

from intake import unrouted, views

app_name = "intake"
urlpatterns = [
    path("twilio/sms/", views.sms, name="sms"),
    path("twilio/sms/status/", views.sms_status, name="sms-status"),
    path("twilio/voice/recording/", views.voice_recording, name="voice-recording"),
    path("twilio/voice/transcription/", views.voice_transcription, name="voice-transcription"),
    path("unrouted/", unrouted.waiting, name="unrouted"),
    path("unrouted/<int:message_id>/take/", unrouted.take, name="unrouted-take"),
]
