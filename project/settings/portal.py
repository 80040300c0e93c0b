"""Settings of the victim portal and the help library (portal/), read from the environment like
the rest; imported at the end of base.py."""

from __future__ import annotations

import environ

env = environ.Env()

# Minutes without a request before a portal session ends (SECURITY AUTH-06: 10-15 for the portal).
PORTAL_IDLE_MINUTES = env.int("PORTAL_IDLE_MINUTES", default=15)
# Minutes a one-time sign-in code works for.
PORTAL_CODE_MINUTES = env.int("PORTAL_CODE_MINUTES", default=10)
# Wrong codes in a row before an access is locked, and for how long.
PORTAL_LOCK_AFTER = env.int("PORTAL_LOCK_AFTER", default=5)
PORTAL_LOCK_MINUTES = env.int("PORTAL_LOCK_MINUTES", default=30)
# Codes that may be asked for per case reference, and sign-in tries per address (django-ratelimit
# rates: "N/m", "N/h").
PORTAL_CODE_RATE = env.str("PORTAL_CODE_RATE", default="3/h")
PORTAL_ADDRESS_RATE = env.str("PORTAL_ADDRESS_RATE", default="20/h")
# Days after a case is closed that its victim may still sign in (then access ends by itself).
PORTAL_GRACE_DAYS = env.int("PORTAL_GRACE_DAYS", default=28)
# Where "Leave this site" goes: a neutral page that says nothing about what was open.
QUICK_EXIT_URL = env.str("QUICK_EXIT_URL", default="https://www.bbc.co.uk/weather")
