"""Reading a citizen's chat message: the plate and VIN suffix, the road, the guide's topic."""

from __future__ import annotations

import re

_VIOLATION_WORDS = re.compile(r"^\s*(违章查询|违法查询|违章|违法)\s*[:：]?")
_SEPARATORS = re.compile(r"[\s,，;；、/]+")
_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
_ROAD_ASKED = re.compile(r"^\s*路况\s*[:：]?\s*(?P<road>\S.*?)\s*$")
_WHERE_CLEAR = re.compile(r"不堵|畅通|哪里|去哪|周末")
_GUIDE_WORDS = re.compile(r"^\s*(办事指南|指南)\s*[:：]?\s*")
# The longest road name and guide query traffic's own lookups take.
ROAD_MAX = 20
TOPIC_MAX = 50


def lookup_args(text: str) -> tuple[str, str] | tuple[str] | tuple[()]:
    """(plate, vin6), a lone (plate-or-suffix,), or () from '违章 粤S12345 123456'."""
    rest = _VIOLATION_WORDS.sub("", text, count=1)
    tokens = [t for t in _SEPARATORS.split(rest.strip()) if t]
    if not tokens:
        return ()
    if len(tokens) == 1:
        return (tokens[0],)
    # The plate is the token holding the province's character; the suffix is the other one.
    plate = next((t for t in tokens if _HAS_CJK.search(t)), tokens[0])
    suffix = next(t for t in tokens if t is not plate)
    return (plate, suffix)


def road_asked(text: str) -> str | None:
    """The road of '路况 莞深高速' (None for '路况' alone or any other question)."""
    found = _ROAD_ASKED.match(text)
    return found.group("road")[:ROAD_MAX] if found else None


def asks_where_clear(text: str) -> bool:
    """Whether the message asks where the roads are clear ('周末不想宅，哪里路不堵?')."""
    return bool(_WHERE_CLEAR.search(text))


def guide_topic(text: str) -> str | None:
    """The topic of '办事指南 驾驶证' (None for '办事指南' alone)."""
    rest = _GUIDE_WORDS.sub("", text, count=1).strip()
    if rest == text.strip() and "指南" in rest:
        rest = rest.replace("办事指南", " ").replace("指南", " ").strip()
    return rest[:TOPIC_MAX] or None
