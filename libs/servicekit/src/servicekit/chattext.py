"""Chat text for the services' answers (servicekit.answers): within WeChat's limit, and the town
a citizen names.

A text message holds at most 2048 bytes (UTF-8; a Chinese character is 3), so long lists are cut
politely at a whole item, with a note saying how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

TEXT_LIMIT_BYTES = 2048
ELLIPSIS = "……"


def utf8_len(text: str) -> int:
    """The text's size in bytes as WeChat counts it."""
    return len(text.encode("utf-8"))


def clip(text: str, limit: int = TEXT_LIMIT_BYTES) -> str:
    """`text` cut to `limit` bytes at a character boundary, ending in an ellipsis when cut."""
    if utf8_len(text) <= limit:
        return text
    budget = limit - utf8_len(ELLIPSIS)
    cut = text.encode("utf-8")[: max(0, budget)].decode("utf-8", "ignore")
    return cut.rstrip() + ELLIPSIS


def fit(
    head: Sequence[str],
    items: Sequence[str],
    tail: Sequence[str] = (),
    *,
    more: Callable[[int], str],
    limit: int = TEXT_LIMIT_BYTES,
    hidden: int = 0,
) -> str:
    """Head lines, as many whole items as fit, `more(n)` when n items were left out (`hidden`
    counts items never fetched), then the tail lines; clipped to `limit` as a last resort."""
    shown: list[str] = []
    for index, item in enumerate(items):
        left_out = len(items) - index - 1 + hidden
        candidate = [*head, *shown, item, *([more(left_out)] if left_out else []), *tail]
        if utf8_len("\n".join(candidate)) > limit:
            break
        shown.append(item)
    left_out = len(items) - len(shown) + hidden
    lines = [*head, *shown, *([more(left_out)] if left_out else []), *tail]
    return clip("\n".join(lines), limit)


_SUFFIX = re.compile(r"(街道|镇|园区|新区|区)$")


def names_of(name: str) -> list[str]:
    """The names a citizen may use for a town: 大朗镇 and 大朗."""
    short = _SUFFIX.sub("", name)
    return [name] + ([short] if short != name and len(short) >= 2 else [])


def town_in_text(towns: Iterable[tuple[str, str]], text: str) -> str | None:
    """The code of the town (of `(code, name)` pairs) named in `text`: the longest name found,
    so 东城 does not hide a longer name."""
    best: tuple[int, str] | None = None
    for code, name in towns:
        for alias in names_of(name):
            if alias in text and (best is None or len(alias) > best[0]):
                best = (len(alias), code)
    return best[1] if best else None
