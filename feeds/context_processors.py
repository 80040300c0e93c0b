"""The header links to the feeds' pages, for those the feeds policy lets manage them (the rest of
the header is accounts.context_processors.navigation, which sits below feeds and cannot ask it)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from feeds.policy import can_manage_feeds


def navigation(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"feed_links": []}
    if not can_manage_feeds(user):
        return {"feed_links": []}
    return {
        "feed_links": [("Feeds", reverse("feeds:sources")), ("Partners", reverse("partners:list"))]
    }
