"""Settings of live conversations: calls that ring operators, call-backs, web chat, WhatsApp,
operator states and idle claims. Each helpline's own ringing settings are rows (live.LineSettings);
these are the defaults and the limits."""

from __future__ import annotations

import environ

env = environ.Env()

# --- calls that ring (live.calls) --------------------------------------------------------------
# When a helpline has no line settings saved: ring everyone available at once, for this long.
VOICE_RING_SECONDS = env.int("VOICE_RING_SECONDS", default=20)

# --- call-back (live.callback) -----------------------------------------------------------------
# The caller id shown to a victim who asked that the organisation not be named. Twilio places it
# only where the carrier allows a withheld number; otherwise set a number that names nobody.
CALLBACK_WITHHELD_CALLER_ID = env.str("CALLBACK_WITHHELD_CALLER_ID", default="anonymous")

# --- web chat (chat) ---------------------------------------------------------------------------
CHAT_ENABLED = env.bool("CHAT_ENABLED", default=True)
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)

# --- WhatsApp (intake, notifications) ----------------------------------------------------------
# Twilio's WhatsApp sender (E.164, without the `whatsapp:` prefix); empty: WhatsApp replies off.
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")

# --- operator states and idle claims (live.presence, triage) -----------------------------------
# A claimed case nobody worked on for this long warns its holder; after the second, it returns.
CLAIM_IDLE_WARN_MINUTES = env.int("CLAIM_IDLE_WARN_MINUTES", default=20)
CLAIM_IDLE_RETURN_MINUTES = env.int("CLAIM_IDLE_RETURN_MINUTES", default=30)
