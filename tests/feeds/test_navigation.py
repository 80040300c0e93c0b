"""The header links to the feeds' pages: shown to exactly those the feeds policy lets manage them,
and each link opens for them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_supervisors_and_admins_of_a_helpline_get_feeds_and_partners(
    supervisor, admin_user, otp_client
) -> None:
    for user in (supervisor, admin_user):
        client = otp_client(user)
        links = dict(client.get("/feeds/").context["feed_links"])
        assert links == {"Feeds": "/feeds/", "Partners": "/partners/"}
        for url in links.values():
            assert client.get(url).status_code == 200


def test_nobody_else_sees_them(operator, cso_rep, monitor, otp_client) -> None:
    for user in (operator, cso_rep, monitor):
        page = otp_client(user).get("/cases/")
        assert page.context["feed_links"] == []
        assert 'href="/feeds/"' not in page.content.decode()
