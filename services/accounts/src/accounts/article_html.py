"""The limited HTML of an editor's article body, sanitised once on input.

`sanitize_html` keeps an allowlist of tags with a few safe attributes and drops everything else:
the elements that carry code or foreign content (script, style, iframe, …) go with their
content; other unknown tags go, their text stays. Links and pictures must point to http(s)
URLs (no `javascript:`, `data:` or relative ones: the article is read inside WeChat, far from
our origin). Text is re-escaped, unclosed tags are closed and stray end tags dropped, so the
result is well-formed whatever came in. The stdlib parser is enough: the output is built from
scratch out of what it recognised, never passed through.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "p": frozenset(),
    "br": frozenset(),
    "strong": frozenset(),
    "em": frozenset(),
    "h2": frozenset(),
    "h3": frozenset(),
    "ul": frozenset(),
    "ol": frozenset(),
    "li": frozenset(),
    "blockquote": frozenset(),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "width", "height"}),
}
VOID_TAGS = frozenset({"br", "img"})
URL_ATTRIBUTES = frozenset({"href", "src"})
# Dropped with everything inside them: their content is code, styling or another document.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
)
MAX_ATTRIBUTE_LENGTH = 1024


def safe_url(value: str) -> str | None:
    """`value` when it is an absolute http(s) URL with a host, else None."""
    # Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
    cleaned = "".join(ch for ch in value.strip() if ch.isprintable() and not ch.isspace())
    if cleaned != value.strip() or len(cleaned) > MAX_ATTRIBUTE_LENGTH:
        return None
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return cleaned


def _attribute(tag: str, name: str, value: str | None) -> str | None:
    """The attribute as it is written out, or None when it is not allowed on `tag`."""
    if name not in ALLOWED_ATTRIBUTES[tag] or value is None:
        return None
    if name in URL_ATTRIBUTES:
        value = safe_url(value)
        if value is None:
            return None
    elif name in ("width", "height") and not (value.isdigit() and len(value) <= 4):
        return None
    return f'{name}="{html.escape(value[:MAX_ATTRIBUTE_LENGTH], quote=True)}"'


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping: list[str] = []  # the dropped elements we are inside, innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag in DROPPED_WITH_CONTENT:
                self.skipping.append(tag)
            return
        if tag in DROPPED_WITH_CONTENT:
            self.skipping.append(tag)
            return
        if tag not in ALLOWED_ATTRIBUTES:
            return
        written = [a for name, value in attrs if (a := _attribute(tag, name, value))]
        if tag == "img" and not any(a.startswith("src=") for a in written):
            return  # a picture without a safe source shows nothing
        if tag == "a":
            written.append('rel="noopener noreferrer"')
        self.out.append(f"<{' '.join([tag, *written])}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and not self.skipping and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)
        elif self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag not in self.open:
            return  # a stray end tag
        while self.open:
            closing = self.open.pop()
            self.out.append(f"</{closing}>")
            if closing == tag:
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitize_html(text: str) -> str:
    """`text` reduced to the allowed tags and attributes, well-formed (see the module)."""
    parser = _Sanitizer()
    parser.feed(text)
    return parser.result().strip()


def plain_text(fragment: str) -> str:
    """The text of sanitised HTML on one line (for a digest made from the body)."""
    collector = _Text()
    collector.feed(fragment)
    collector.close()
    return " ".join("".join(collector.parts).split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")
