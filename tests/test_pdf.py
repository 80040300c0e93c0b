"""PDFs (project/pdf.py): the print layout frames every page, long tables run on cleanly, and making
a PDF reaches nothing but the project's static files: no network, no other file."""

from __future__ import annotations

import io
import socket
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import engines
from pypdf import PdfReader
from weasyprint import HTML

from project.pdf import (
    BASE_URL,
    PrintHTML,
    ResourceRefusedError,
    StaticFilesFetcher,
    _font_config,
    pdf_response,
    render_pdf,
    render_template_pdf,
)

GENERATED = {"generated_at": datetime(2026, 3, 14, 9, 30, tzinfo=UTC), "generated_by": "amina"}


def pdf_of(blocks: str) -> bytes:
    template = engines["django"].from_string('{% extends "print/base.html" %}' + blocks)
    return render_template_pdf(template, GENERATED)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_every_page_carries_title_author_confidentiality_and_page_number() -> None:
    (text,) = page_texts(
        pdf_of(
            "{% block title %}Case LNT-2026-000123{% endblock %}"
            "{% block content %}<p>The service was logged.</p>{% endblock %}"
        )
    )
    assert "Case LNT-2026-000123" in text
    assert "Generated 14 March 2026, 09:30 GMT by amina" in text  # in TIME_ZONE, not UTC
    assert "Confidential" in text
    assert "Page 1 of 1" in text
    assert "The service was logged." in text


def test_a_long_table_runs_over_pages_with_its_header_on_each() -> None:
    rows = "".join(f"<tr><td>Row {n:03}</td><td>Service given</td></tr>" for n in range(120))
    texts = page_texts(
        pdf_of(
            "{% block content %}<table><thead><tr><th>Entry</th><th>What happened</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>{{% endblock %}}"
        )
    )
    assert len(texts) >= 2
    assert f"Page 2 of {len(texts)}" in texts[1]
    assert all("What happened" in text for text in texts)
    for n in range(120):  # every row whole, on exactly one page
        assert sum(f"Row {n:03} Service given" in text for text in texts) == 1, n


def test_render_pdf_finds_templates_by_name() -> None:
    (text,) = page_texts(render_pdf("print/base.html", GENERATED))
    assert "Lantern" in text
    assert "Page 1 of 1" in text


def test_nothing_outside_the_static_files_is_fetched(
    socket_disabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # WeasyPrint swallows a fetcher's errors (a missing image is only logged), so a failure is
    # seen by recording the attempts, not by an exception.
    asked: list[str] = []
    fetch = StaticFilesFetcher.fetch

    def recording_fetch(self: StaticFilesFetcher, url: str, headers: object = None) -> object:
        asked.append(url)
        return fetch(self, url, headers)

    opened: list[object] = []
    monkeypatch.setattr(StaticFilesFetcher, "fetch", recording_fetch)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda *a, **k: opened.append(a))
    monkeypatch.setattr(socket, "socket", lambda *a, **k: opened.append(a))

    pdf = pdf_of(
        "{% block content %}<p>Still rendered.</p>"
        '<img src="http://example.invalid/x.png">'
        '<img src="file:///etc/passwd">'
        '<link rel="stylesheet" href="https://example.invalid/evil.css">'
        '<link rel="attachment" href="file:///etc/passwd">'
        '<img src="/static/%2e%2e/project/settings/base.py">'
        "{% endblock %}"
    )

    assert "Still rendered." in page_texts(pdf)[0]
    assert not PdfReader(io.BytesIO(pdf)).attachments
    assert b"root:" not in pdf
    assert opened == []
    assert {"http://example.invalid/x.png", "file:///etc/passwd"} <= set(asked)
    assert "https://example.invalid/evil.css" in asked
    assert f"{BASE_URL}static/css/print.css" in asked  # the one thing it may fetch


@pytest.mark.parametrize(
    "url",
    [
        "http://example.invalid/x.png",
        "https://example.invalid/static/css/print.css",
        "file:///etc/passwd",
        "data:text/plain,hello",
        f"{BASE_URL}media/x.png",
        f"{BASE_URL}static/../project/settings/base.py",
        f"{BASE_URL}static/%2e%2e/project/settings/base.py",
        f"{BASE_URL}static/css/../../project/settings/base.py",
        f"{BASE_URL}static/%2Fetc%2Fpasswd",
        f"{BASE_URL}static/css/no-such-file.css",
        f"{BASE_URL}static/css/",
    ],
)
def test_the_fetcher_refuses_anything_but_a_static_file(url: str) -> None:
    with pytest.raises(ResourceRefusedError):
        StaticFilesFetcher().fetch(url)


def test_the_fetcher_serves_static_files_from_source_and_from_static_root(
    settings, tmp_path: Path
) -> None:
    response = StaticFilesFetcher().fetch(f"{BASE_URL}static/css/print.css")
    assert response.content_type == "text/css"
    assert b"counter(pages)" in response.read()

    # production: `{% static %}` names the collected file with its hash
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "print.0123abcd.css").write_text("p { color: red }")
    response = StaticFilesFetcher().fetch(f"{BASE_URL}static/css/print.0123abcd.css")
    assert response.read() == b"p { color: red }"


def test_the_download_is_never_cached() -> None:
    response = pdf_response(b"%PDF-1.7", "LNT-2026-000123.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="LNT-2026-000123.pdf"'
    assert response["Cache-Control"] == "no-store"
    assert response.content == b"%PDF-1.7"


@pytest.mark.parametrize(
    "filename", ["Jane Doe.pdf", 'x"; filename="y.pdf', "../case.pdf", "case.html", "café.pdf"]
)
def test_the_download_name_is_plain(filename: str) -> None:
    with pytest.raises(ValueError, match="Unsafe PDF filename"):
        pdf_response(b"%PDF-1.7", filename)


# Every element the print templates use (cases/case_print.html, reports/snapshot_print.html and
# what they include), in the places they use them.
EVERY_PRINT_ELEMENT = (
    "{% block title %}Case LNT-2026-000123{% endblock %}{% block content %}"
    "<p>Masked in this copy.</p><h2>People</h2><h3>Victim (sister)</h3>"
    '<table class="facts fixed"><tbody><tr><th scope="row">Name</th><td>A <em>name</em></td></tr>'
    '</tbody></table><div class="safe-contact"><strong>Safe contact</strong><ul><li>Text only'
    "</li><li>After 6 pm</li></ul></div><dl><dt>Period</dt><dd>1 March to 14 March</dd></dl>"
    '<figure><svg width="40" height="20"><rect width="40" height="20"/></svg></figure>'
    '<table><caption>Reports by channel</caption><thead><tr><th scope="col">Channel</th>'
    '<th scope="col">Reports</th></tr></thead><tbody><tr><td>SMS</td><td>12</td></tr></tbody>'
    '</table><h2>Timeline</h2><table class="fixed"><thead><tr><th class="col-when">When</th>'
    "<th>What happened</th></tr></thead><tbody>"
    + "".join(
        f'<tr><td>1 Mar 2026 09:{n:02}</td><td class="pre-wrap">Service {n} logged by '
        f"<strong>amina</strong>\n  on <span>the phone</span></td></tr>"
        for n in range(60)
    )
    + "</tbody></table>{% endblock %}"
)


def boxes(document_class: type[HTML]) -> list[list[tuple[object, ...]]]:
    template = engines["django"].from_string(
        '{% extends "print/base.html" %}' + EVERY_PRINT_ELEMENT
    )
    html = template.render(GENERATED)
    document = document_class(string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher())
    return [
        [
            (
                box.element_tag,
                type(box).__name__,
                box.position_x,
                box.position_y,
                box.width,
                box.height,
            )
            for box in page._page_box.descendants()
        ]
        for page in document.render(font_config=_font_config()).pages
    ]


def test_the_print_user_agent_stylesheet_lays_out_as_weasyprints_own() -> None:
    # templates/print/user-agent.css replaces WeasyPrint's html5_ua.css (for speed): every box of
    # every page is the same element, at the same place, of the same size
    ours, weasyprints = boxes(PrintHTML), boxes(HTML)
    assert len(ours) >= 2
    assert ours == weasyprints


def test_the_print_user_agent_stylesheet_is_the_one_used() -> None:
    # `_ua_stylesheets` is private to WeasyPrint: were it renamed, PrintHTML would quietly style with
    # WeasyPrint's sheet again. h4 is a block there and not in ours (no print template uses it).
    def lines(document_class: type[HTML]) -> set[object]:
        document = document_class(string="<h4>One</h4><h4>Two</h4>", base_url=BASE_URL)
        (page,) = document.render(font_config=_font_config()).pages
        texts = [box for box in page._page_box.descendants() if type(box).__name__ == "TextBox"]
        return {box.position_y for box in texts if box.text in {"One", "Two"}}

    assert len(lines(HTML)) == 2  # one line each
    assert len(lines(PrintHTML)) == 1  # side by side
