"""Settings of live conversations: calls that ring operators, call-backs, web chat, WhatsApp,
operator states and idle claims. Each helpline's own ringing settings are rows (live.LineSettings);
these are the defaults and the limits."""

from __future__ import annotations

import environ

env = environ.Env()

# --- calls that ring (live.calls) --------------------------------------------------------------
# When a helpline has no line settings saved: ring everyone available at once, for this long.
VOICE_RING_SECONDS = env.int("VOICE_RING_SECONDS", default=20)
# Twilio dials at most 10 numbers at once: the longest-waiting ten are rung.
VOICE_MAX_SIMULTANEOUS = 10
# In turn, each operator's phone rings at most this long (and never past the line's ring time).
VOICE_RING_SECONDS_PER_OPERATOR = env.int("VOICE_RING_SECONDS_PER_OPERATOR", default=10)
# What an operator hears on answering, before the caller is put through. Neutral on purpose: a
# phone on speaker or answered by someone else hears nothing about the caller.
VOICE_WHISPER = env.str("VOICE_WHISPER", default="A call for the helpline. Press 1 to take it.")
VOICE_WHISPER_SECONDS = env.int("VOICE_WHISPER_SECONDS", default=8)  # to press 1
VOICE_TAKEN_ELSEWHERE = env.str(
    "VOICE_TAKEN_ELSEWHERE", default="Someone else has taken this call. Goodbye."
)
VOICE_CALLER_GONE = env.str("VOICE_CALLER_GONE", default="This call has ended. Goodbye.")

# --- call-back (live.callback) -----------------------------------------------------------------
# The caller id shown to a victim who asked that the organisation not be named. Twilio places it
# only where the carrier allows a withheld number; otherwise set a number that names nobody.
CALLBACK_WITHHELD_CALLER_ID = env.str("CALLBACK_WITHHELD_CALLER_ID", default="anonymous")
# A call-back not placed within this many seconds of the press is marked failed, never placed
# late (the operator has moved on; the victim's safe moment may have passed).
CALLBACK_PLACE_WITHIN_SECONDS = env.int("CALLBACK_PLACE_WITHIN_SECONDS", default=60)
# How long the operator's own phone rings, then the victim's, before each counts as no answer.
CALLBACK_OPERATOR_RING_SECONDS = env.int("CALLBACK_OPERATOR_RING_SECONDS", default=30)
CALLBACK_VICTIM_RING_SECONDS = env.int("CALLBACK_VICTIM_RING_SECONDS", default=30)

# --- web chat (chat) ---------------------------------------------------------------------------
CHAT_ENABLED = env.bool("CHAT_ENABLED", default=True)
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)
# New chats one client address may start per window: a shelter's or a household's shared address
# gets several; a script opening case after case does not (SECURITY IN-05; open if Redis is down).
CHAT_STARTS_PER_ADDRESS = env.int("CHAT_STARTS_PER_ADDRESS", default=5)
CHAT_STARTS_WINDOW_SECONDS = env.int("CHAT_STARTS_WINDOW_SECONDS", default=3600)
# Messages a visitor may send in one conversation per minute: far above anyone typing.
CHAT_MESSAGES_PER_MINUTE = env.int("CHAT_MESSAGES_PER_MINUTE", default=30)
# A chat nobody wrote in and whose visitor has no page open for this long is closed (the visitor
# cannot come back to it: the secret lived in the page), and its operator goes to wrap-up.
CHAT_IDLE_MINUTES = env.int("CHAT_IDLE_MINUTES", default=20)

# --- WhatsApp (intake, notifications) ----------------------------------------------------------
# Twilio's WhatsApp sender (E.164, without the `whatsapp:` prefix); empty: WhatsApp replies off.
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
# WhatsApp takes a free-form message to someone only this long after their last WhatsApp message
# (Twilio's session window; templates outside it are not used): safe contact refuses after it.
WHATSAPP_SESSION_HOURS = env.int("WHATSAPP_SESSION_HOURS", default=24)

# --- operator states and idle claims (live.presence, triage) -----------------------------------
# A claimed case nobody worked on for this long warns its holder; after the second, it returns.
CLAIM_IDLE_WARN_MINUTES = env.int("CLAIM_IDLE_WARN_MINUTES", default=20)
CLAIM_IDLE_RETURN_MINUTES = env.int("CLAIM_IDLE_RETURN_MINUTES", default=30)
