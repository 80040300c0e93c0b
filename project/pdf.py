"""PDFs from Django templates (WeasyPrint), for case files and snapshot reports.

Templates extend `print/base.html`. Making a PDF fetches nothing but the project's own static files,
so no template, nor text that slips into one, can make the server call a URL or read a file. The
caller audits the print (DESIGN rule 8) and picks a filename without personal data.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.backends.django import Template
from django.template.loader import get_template
from django.utils._os import safe_join
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative URLs resolve against this made-up origin, which the fetcher maps onto the static folders:
# never the request's Host, and `.invalid` can never resolve should anything bypass the fetcher.
BASE_URL = "https://lantern.invalid/"

_SAFE_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.pdf")

# Parsed once per process: read from the templates folder, never fetched.
USER_AGENT_CSS = Path(__file__).resolve().parent.parent / "templates" / "print" / "user-agent.css"
_USER_AGENT_STYLESHEET = CSS(filename=USER_AGENT_CSS)


class PrintHTML(HTML):
    """WeasyPrint's HTML with templates/print/user-agent.css as the user-agent stylesheet: the same
    defaults for the elements print templates use, without the selectors for forms, ruby, frames
    and right-to-left lists that WeasyPrint tries on every element (a long case file's WeasyPrint
    time: about 13 % less). `_ua_stylesheets` is a private method of WeasyPrint, pinned in
    requirements.txt: on an upgrade, check it is still what `render` asks for the UA sheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_USER_AGENT_STYLESHEET]


class ResourceRefusedError(ValueError):
    """A template asked for something that is not one of the project's static files."""


class StaticFilesFetcher(URLFetcher):
    """WeasyPrint's fetcher for images, stylesheets, fonts and attachments: `/static/...` from the
    static folders, and an error for anything else (http, file://, data:, other paths)."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = _static_file(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def _static_file(url: str) -> Path:
    # Looked up as `{% static %}` named it: by the staticfiles finders (the source folders, as in
    # development), else in STATIC_ROOT (collected, with the hashed names of production).
    # WeasyPrint logs the URL along with these messages.
    parts = urlsplit(url)
    prefix = urlsplit(urljoin(BASE_URL, settings.STATIC_URL))
    if parts[:2] != prefix[:2] or not parts.path.startswith(prefix.path):
        raise ResourceRefusedError("only the project's static files are fetched for a PDF")
    name = unquote(parts.path.removeprefix(prefix.path))
    if posixpath.normpath(name) != name or name.startswith(("/", "..")):
        raise ResourceRefusedError("not a plain static file name")
    found = finders.find(name)
    if found is None and settings.STATIC_ROOT:
        found = safe_join(settings.STATIC_ROOT, name)
    if found is None or not Path(found).is_file():
        raise ResourceRefusedError("no such static file")
    return Path(found)


def render_pdf(
    template_name: str, context: dict[str, Any], *, request: HttpRequest | None = None
) -> bytes:
    """Render a template extending `print/base.html` to PDF bytes. The context needs
    `generated_at` and `generated_by`; with a request, context processors run as for a page."""
    return render_template_pdf(get_template(template_name), context, request=request)


def render_template_pdf(
    template: Template, context: dict[str, Any], *, request: HttpRequest | None = None
) -> bytes:
    """render_pdf for a template already loaded (get_template, select_template, from_string)."""
    html = template.render(context, request)
    document = PrintHTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher())
    return document.write_pdf(font_config=_font_config())


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """The fonts found once per thread and kept: print.css names only installed fonts (no
    @font-face, nothing downloaded), so what fontconfig finds does not change between PDFs. Per
    thread because a font configuration is not shared between threads (gthread workers)."""
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF download that no browser or proxy keeps. `filename` is e.g. the case number plus
    `.pdf`: plain ASCII, as it ends up in download folders and browser history."""
    if not _SAFE_FILENAME.fullmatch(filename):
        raise ValueError(f"Unsafe PDF filename {filename!r}: use letters, digits, . _ - and .pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
