"""Guangdong warning signals per area: issue, upgrade, downgrade and lift (`warning_signals.csv`).

A signal covers one area: a location, or `dongguan` for the whole city, which then applies to
every location. At most one signal per hazard and area is in force; a stronger or weaker colour
is an upgrade or downgrade of it, never a second signal. Every step is kept as an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from servicekit.audit import Actor
from servicekit.clock import as_utc, local, utcnow
from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import Conflict, NotFound, ValidationFailed
from weather.models import (
    AuditEntry,
    WarningAction,
    WarningEvent,
    WarningEventPublic,
    WarningPublic,
    WarningSignal,
)
from weather.public import event_public, warning_public
from weather.reference import (
    ACTION_NAMES,
    CITY,
    COLOUR_NAMES,
    hazards,
    location_names,
    signal_name,
)

COLOUR_RANK = ("white", "blue", "yellow", "orange", "red")  # weakest first, for every hazard
Change = Literal["upgrade", "downgrade"]
# A forecaster's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class ActiveSignal:
    """A signal in force, as the index rules see it."""

    hazard: str
    colour: str


def _invalid(field: str, detail: str, where: str = "body") -> ValidationFailed:
    return ValidationFailed(
        detail, errors=[{"field": field, "in": where, "message": detail, "type": "value_error"}]
    )


def check_hazard_colour(*, hazard: str, colour: str) -> None:
    """422 naming `hazard` or `colour` unless Guangdong has this colour for this hazard."""
    known = hazards()
    if hazard not in known:
        raise _invalid("hazard", f"未知的灾种“{hazard}”，可选：{'、'.join(known)}。")
    colours = known[hazard].colours
    if colour not in colours:
        names = "、".join(f"{c}（{COLOUR_NAMES[c]}）" for c in colours)
        raise _invalid("colour", f"{known[hazard].name}预警信号没有“{colour}”，可选：{names}。")


def change_kind(*, hazard: str, old: str, new: str) -> Change | None:
    """`upgrade` to a stronger colour, `downgrade` to a weaker one, None for the same colour."""
    colours = hazards()[hazard].colours
    step = colours.index(new) - colours.index(old)
    return None if step == 0 else "upgrade" if step > 0 else "downgrade"


def check_area(area: str, *, where: str = "body") -> None:
    """422 naming `area` unless it is one of the 33 locations or the city."""
    if area not in location_names():
        detail = f"未知的地区“{area}”，请使用 /v1/locations 中的代码或 dongguan。"
        raise _invalid("area", detail, where)


def check_time(*, at: datetime, after: datetime | None, now: datetime) -> None:
    """422 naming `at` when it is in the future or before the signal's previous step."""
    if at > now + CLOCK_SKEW:
        raise _invalid("at", "时间不能晚于当前时间。")
    if after is not None and at < after:
        raise _invalid("at", f"时间不能早于该信号上一次变更（{local(after).isoformat()}）。")


def active_signals(*, session: Session, area: str | None = None) -> list[WarningSignal]:
    """Signals in force: all of them, or those covering `area` (its own and the city's)."""
    query = select(WarningSignal).where(col(WarningSignal.lifted_at).is_(None))
    if area is not None and area != CITY.code:
        query = query.where(or_(WarningSignal.area == area, WarningSignal.area == CITY.code))
    return sorted(session.exec(query).all(), key=_lead_order)


def active_page(*, session: Session, area: str | None, page: PageParams) -> Page[WarningPublic]:
    """One page of the signals in force (of the city, or covering `area`), strongest first."""
    if area is not None:
        check_area(area, where="query")
    # Paged in memory, not through paginate: few signals are ever in force, and their lead
    # order (colour rank, then recency) is the one every answer uses, computed here.
    signals = active_signals(session=session, area=area)
    items = [warning_public(s) for s in signals[page.offset : page.offset + page.limit]]
    return Page[WarningPublic](items=items, total=len(signals))


def history_page(
    *,
    session: Session,
    page: PageParams,
    area: str | None = None,
    hazard: str | None = None,
    signal_id: int | None = None,
) -> Page[WarningEventPublic]:
    """One page of every step of every signal, newest first, optionally filtered."""
    query = select(WarningEvent, WarningSignal).join(
        WarningSignal, col(WarningSignal.id) == col(WarningEvent.signal_id)
    )
    filters = (
        (WarningSignal.area, area),
        (WarningSignal.hazard, hazard),
        (WarningEvent.signal_id, signal_id),
    )
    query = query.where(*(column == value for column, value in filters if value is not None))
    return paginate(
        session,
        query,
        page,
        order_by=(col(WarningEvent.at).desc(), col(WarningEvent.id).desc()),
        public=lambda rows: [event_public(event, signal) for event, signal in rows],
    )


def signals_at(*, session: Session, moment: datetime) -> list[WarningSignal]:
    """Every signal as it stood at `moment` (its colour then), strongest first, from the events.

    The results are unsaved copies: they describe the past and must not be written back.
    """
    moment = as_utc(moment)
    signals = session.exec(
        select(WarningSignal).where(
            col(WarningSignal.issued_at) <= moment,
            or_(col(WarningSignal.lifted_at).is_(None), col(WarningSignal.lifted_at) > moment),
        )
    ).all()
    if not signals:
        return []
    events = session.exec(
        select(WarningEvent)
        .where(
            col(WarningEvent.signal_id).in_([s.id for s in signals]),
            col(WarningEvent.at) <= moment,
        )
        .order_by(col(WarningEvent.at), col(WarningEvent.id))
    ).all()
    latest = {e.signal_id: e for e in events}  # the last step of each signal by then
    then = [
        WarningSignal(
            id=s.id,
            hazard=s.hazard,
            area=s.area,
            colour=latest[s.id].colour,
            issued_at=s.issued_at,
            updated_at=latest[s.id].at,
        )
        for s in signals
        if s.id in latest
    ]
    return sorted(then, key=_lead_order)


def _lead_order(signal: WarningSignal) -> tuple[int, float, int]:
    """Strongest colour first, then the most recent: the order in which answers lead with them."""
    return (
        -COLOUR_RANK.index(signal.colour),
        -as_utc(signal.updated_at).timestamp(),
        signal.id or 0,
    )


def as_active(signals: Sequence[WarningSignal]) -> list[ActiveSignal]:
    """The signals as the index rules take them."""
    return [ActiveSignal(s.hazard, s.colour) for s in signals]


def _event(
    signal: WarningSignal, action: WarningAction, previous: str | None, at: datetime, actor: Actor
) -> WarningEvent:
    assert signal.id is not None
    return WarningEvent(
        signal_id=signal.id,
        action=action,
        colour=signal.colour,
        previous_colour=previous,
        at=at,
        actor=actor.subject,
    )


def _audit(session: Session, actor: Actor, action: str, signal_id: int, **changes: Any) -> None:
    AuditEntry.record(
        session=session,
        actor=actor,
        action=action,
        entity="warning",
        entity_id=str(signal_id),
        changes=changes,
    )


def issue_signal(
    *,
    session: Session,
    hazard: str,
    colour: str,
    area: str,
    at: datetime | None,
    actor: Actor,
) -> WarningPublic:
    """Issue a signal; 409 when one of the same hazard is already in force for the area."""
    check_hazard_colour(hazard=hazard, colour=colour)
    check_area(area)
    now = utcnow()
    at = as_utc(at) if at else now
    check_time(at=at, after=None, now=now)
    key = f"{hazard}:{area}"
    name = hazards()[hazard].name
    conflict = Conflict(
        f"{location_names()[area]}已有生效中的{name}预警信号，请升级、降级或解除它，而不是再发布。"
    )
    if session.exec(select(WarningSignal.id).where(WarningSignal.active_key == key)).first():
        raise conflict
    signal = WarningSignal(
        hazard=hazard, area=area, colour=colour, issued_at=at, updated_at=at, active_key=key
    )
    session.add(signal)
    try:
        session.flush()
    except IntegrityError:  # issued at the same moment by someone else
        session.rollback()
        raise conflict from None
    assert signal.id is not None
    session.add(_event(signal, "issue", None, at, actor))
    _audit(session, actor, "issue", signal.id, hazard=hazard, area=area, colour=[None, colour])
    session.commit()
    session.refresh(signal)
    return warning_public(signal)


def signal_public(*, session: Session, signal_id: int) -> WarningPublic:
    """A signal by id, in force or lifted, as the public sees it; 404 otherwise."""
    return warning_public(get_signal(session=session, signal_id=signal_id))


def get_signal(*, session: Session, signal_id: int) -> WarningSignal:
    """A signal by id, in force or lifted; 404 otherwise."""
    signal = session.get(WarningSignal, signal_id)
    if signal is None:
        raise NotFound(f"未找到编号为 {signal_id} 的预警信号。")
    return signal


def _in_force(session: Session, signal_id: int) -> WarningSignal:
    signal = get_signal(session=session, signal_id=signal_id)
    if signal.lifted_at is not None:
        raise Conflict(f"{signal_name(signal.hazard, signal.colour)}已解除，不能再变更。")
    return signal


def _claim(session: Session, signal: WarningSignal, values: dict[str, Any]) -> None:
    """Apply `values` only if nobody changed the signal since it was read (409 otherwise)."""
    result = session.execute(
        update(WarningSignal)
        .where(
            col(WarningSignal.id) == signal.id,
            col(WarningSignal.colour) == signal.colour,
            col(WarningSignal.lifted_at).is_(None),
        )
        .values(**values)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("该预警信号刚被他人变更，请刷新后重试。")


def change_signal(
    *,
    session: Session,
    signal_id: int,
    colour: str,
    change: Change,
    at: datetime | None,
    actor: Actor,
) -> WarningPublic:
    """Upgrade or downgrade a signal in force to `colour` (422 when it goes the other way)."""
    signal = _in_force(session, signal_id)
    check_hazard_colour(hazard=signal.hazard, colour=colour)
    kind = change_kind(hazard=signal.hazard, old=signal.colour, new=colour)
    if kind != change:
        current = signal_name(signal.hazard, signal.colour)
        verb = ACTION_NAMES[change]
        raise _invalid("colour", f"当前为{current}，不能{verb}为{COLOUR_NAMES[colour]}。")
    now = utcnow()
    at = as_utc(at) if at else now
    check_time(at=at, after=as_utc(signal.updated_at), now=now)
    previous = signal.colour
    _claim(session, signal, {"colour": colour, "updated_at": at})
    session.refresh(signal)
    session.add(_event(signal, change, previous, at, actor))
    _audit(session, actor, change, signal_id, colour=[previous, colour])
    session.commit()
    session.refresh(signal)
    return warning_public(signal)


def lift_signal(
    *, session: Session, signal_id: int, at: datetime | None, actor: Actor
) -> WarningPublic:
    """Lift (解除) a signal in force."""
    signal = _in_force(session, signal_id)
    now = utcnow()
    at = as_utc(at) if at else now
    check_time(at=at, after=as_utc(signal.updated_at), now=now)
    _claim(session, signal, {"lifted_at": at, "active_key": None})
    session.refresh(signal)
    session.add(_event(signal, "lift", None, at, actor))
    _audit(session, actor, "lift", signal_id, lifted_at=[None, local(at).isoformat()])
    session.commit()
    session.refresh(signal)
    return warning_public(signal)
