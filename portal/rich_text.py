"""Articles' Markdown made into HTML safe to show on a public page, and the plain words the
library searches: markdown-it (CommonMark and tables, raw HTML off, so typed tags are shown as
text), then nh3 with an allow-list as the last word, whatever markdown-it lets through. Images
are dropped, and their description kept as text: an image from another site tells that site who
reads what (and when), a picture on a shared phone says at a glance what the page is about, and
the pages aim to stay small for slow connections. Nothing an article needs is lost in words.
Pure functions: the model (portal.models.ArticleText.save) calls them."""

from __future__ import annotations

import html
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = {
    *("p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "br", "hr"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "ol": {"start"}}
# Relative links (another article, /report/) pass as they are; any other scheme goes.
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# The page has its own h1: an article's headings sit below it.
HEADING_LEVELS = {"h1": "h2", "h5": "h4", "h6": "h4"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _image_as_text(renderer: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    return html.escape(tokens[idx].content)  # the image's description, never the image


_markdown.add_render_rule("image", _image_as_text)


def render(markdown: str) -> str:
    """Markdown typed by an admin -> HTML safe to show on a public page."""
    tokens = _markdown.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_LEVELS.get(token.tag, token.tag)
    return sanitise(_markdown.renderer.render(tokens, _markdown.options, {}))


def sanitise(raw_html: str) -> str:
    """Only the allowed tags, attributes and link schemes: the last word on what a page shows,
    whatever the Markdown step let through. Scripts and styles go with their content."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_words(*parts: str) -> str:
    """Lower-cased text of the parts (HTML tags removed), one space between words: what the
    library's search looks in."""
    text = " ".join(re.sub(r"<[^>]+>", " ", part) for part in parts)
    return " ".join(html.unescape(text).lower().split())
