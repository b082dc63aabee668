"""Markdown for CMS pages: markdown-it-py renders (CommonMark plus tables and strikethrough), nh3 sanitises.

Raw HTML inside the Markdown is allowed through the renderer on purpose (editors paste snippets), because nh3
then keeps only the tags and attributes below: <script>/<style>/<iframe> go with their content, every event
handler attribute (onerror=, onclick=...) goes, and a link or image whose URL scheme is not in URL_SCHEMES
(javascript:, data:, vbscript:) loses the attribute.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def markdown_to_html(text: str | None) -> str:
    """Safe HTML for a page body; the only place CMS Markdown becomes HTML."""
    html = _RENDERER.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
