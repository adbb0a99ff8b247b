"""Business guides (办事指南): text search over titles, summaries and keywords.

Chinese has no spaces between words, so a plain substring match (SQL LIKE) does the job: a
query of several words separated by spaces must match every word somewhere in the guide.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select
from sqlmodel.sql.expression import Select

from servicekit.errors import NotFound
from servicekit.search import contains
from traffic.models import Guide

MAX_TERMS = 5


def search_terms(*, q: str) -> list[str]:
    """The words of a query (at most five, duplicates dropped); full-width spaces count too, and
    so does NUL, which PostgreSQL cannot compare (a chat message may carry one)."""
    spaced = q.replace("\u3000", " ").replace("\x00", " ")
    return list(dict.fromkeys(spaced.split()))[:MAX_TERMS]


def guide_query(*, q: str | None) -> Select[Any]:
    """Guides matching every word of `q` in title, summary or keywords (all guides without q)."""
    query = select(Guide)
    for term in search_terms(q=q or ""):
        query = query.where(
            or_(
                contains(col(Guide.title), term),
                contains(col(Guide.summary), term),
                contains(col(Guide.keywords), term),
            )
        )
    return query


def guide_by_id(session: Session, *, guide_id: str) -> Guide:
    """One guide; 404 for an unknown id."""
    guide = session.get(Guide, guide_id)
    if guide is None:
        raise NotFound(f"未找到办事指南“{guide_id}”，可用 /v1/guides?q= 搜索。")
    return guide
