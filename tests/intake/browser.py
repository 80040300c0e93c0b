"""The public form as a browser sends it to a real server: GET for the cookie and the form's
tokens, then POST, without following the redirect."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.request
from urllib.parse import urlencode


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Form:
    """A report form as one browser holds it: its cookie and the tokens of the page it fetched."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.headers = headers or {}
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        page = urllib.request.Request(f"{base_url}/report/", headers=self.headers)  # noqa: S310
        with self.opener.open(page, timeout=10) as answer:
            html = answer.read().decode()
        self.fields = dict(
            re.findall(r'name="(csrfmiddlewaretoken|submission_id)" value="([^"]+)"', html)
        )

    def send(self, text: str) -> tuple[int, str]:
        """(status, page) of sending the report, without following the redirect."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.base_url}/report/",
            data=urlencode({**self.fields, "what_happened": text}).encode(),
            headers={"Referer": f"{self.base_url}/report/", **self.headers},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def post_form(base_url: str, text: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, page) of fetching the form and sending a report with `text`."""
    return Form(base_url, headers).send(text)
