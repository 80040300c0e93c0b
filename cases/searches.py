"""Case searches without the search words in a URL: the form posts what was typed, the words are
kept (encrypted, like all victim data at rest) in the searcher's own session under a random id,
and the page is shown at `?search=<id>`. So neither the server's access log nor the browser's
history, nor a link pasted elsewhere, carries a phone number or a name; the id means nothing to
another person's session and is forgotten after SEARCH_KEEP_SECONDS."""

from __future__ import annotations

import secrets
import time

from cryptography.fernet import InvalidToken
from django.http import HttpRequest

from project.crypto import fernet

SESSION_KEY = "case_searches"
SEARCH_KEEP_SECONDS = 30 * 60
SEARCHES_KEPT = 20  # per session: the oldest goes first
MAX_QUERY = 200


def remember(request: HttpRequest, q: str) -> str:
    """Keep a search for this session and return its id ("" for an empty search)."""
    q = q.strip()[:MAX_QUERY]
    if not q:
        return ""
    now = time.time()
    kept = {
        key: entry
        for key, entry in request.session.get(SESSION_KEY, {}).items()
        if now - entry[1] < SEARCH_KEEP_SECONDS
    }
    search_id = secrets.token_urlsafe(12)
    kept[search_id] = [fernet().encrypt(q.encode()).decode(), now]
    newest = sorted(kept.items(), key=lambda item: item[1][1])[-SEARCHES_KEPT:]
    request.session[SESSION_KEY] = dict(newest)
    return search_id


def recall(request: HttpRequest) -> tuple[str, str]:
    """(search id, words) of the search this page shows: ("", "") without one, or when the id is
    unknown to this session or expired. Words in a `q` parameter of a page are never read."""
    search_id = request.GET.get("search", "")
    entry = request.session.get(SESSION_KEY, {}).get(search_id) if search_id else None
    if entry is None or time.time() - entry[1] >= SEARCH_KEEP_SECONDS:
        return "", ""
    try:
        return search_id, fernet().decrypt(entry[0].encode()).decode()
    except InvalidToken:  # kept under a key since retired: as good as expired
        return "", ""
