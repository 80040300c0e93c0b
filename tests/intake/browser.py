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


def post_form(base_url: str, text: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, page) of sending a report with `text`; `headers` go with both requests."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
    )
    form = urllib.request.Request(f"{base_url}/report/", headers=headers or {})  # noqa: S310
    with opener.open(form, timeout=10) as page:
        html = page.read().decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|submission_id)" value="([^"]+)"', html))
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base_url}/report/",
        data=urlencode({**fields, "what_happened": text}).encode(),
        headers={"Referer": f"{base_url}/report/", **(headers or {})},
        method="POST",
    )
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
