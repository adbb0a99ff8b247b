"""Shared pieces of the HTTP edge: months asked for and the bound person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from servicekit.clock import NowDep, local_day
from servicekit.deps import SessionDep
from servicekit.errors import ValidationFailed, valid
from servicekit.identity import CitizenDep
from socialsec.access import Me
from socialsec.bindings import require_bound
from socialsec.clock import Period, add_months, month_of
from socialsec.validators import parse_month


def current_me(request: Request, citizen: CitizenDep, session: SessionDep, now: NowDep) -> Me:
    """FastAPI dependency: the caller's bound record, or 404 explaining how to bind."""
    return Me(
        bound=require_bound(session, citizen_id=citizen.subject),
        citizen_id=citizen.subject,
        request_id=getattr(request.state, "request_id", ""),
        now=now,
    )


MeDep = Annotated[Me, Depends(current_me)]


def period_params(
    me: MeDep,
    first: Annotated[
        str | None, Query(alias="from", description="起始月份 YYYY-MM，默认首次参保月份")
    ] = None,
    last: Annotated[str | None, Query(alias="to", description="截止月份 YYYY-MM，默认上月")] = None,
) -> Period:
    """FastAPI dependency: `?from=&to=` months, defaulting to the whole history to last month."""
    this_month = month_of(local_day(me.now))
    start = (
        valid("from", "query", lambda: parse_month(text=first))
        if first
        else month_of(me.bound.person.insured_since)
    )
    end = (
        valid("to", "query", lambda: parse_month(text=last)) if last else add_months(this_month, -1)
    )
    if start > end:
        message = "起始月份不能晚于截止月份。"
        raise ValidationFailed(
            message, errors=[{"field": "from", "in": "query", "message": message, "type": "range"}]
        )
    if end > this_month:
        message = "截止月份不能晚于本月。"
        raise ValidationFailed(
            message, errors=[{"field": "to", "in": "query", "message": message, "type": "range"}]
        )
    return Period(start, end)


PeriodDep = Annotated[Period, Depends(period_params)]
