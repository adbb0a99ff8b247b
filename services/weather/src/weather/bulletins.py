"""The daily bulletin text (at most 140 characters) pushed at 16:00 with the city chart.

The duty forecaster writes it; when nothing is written by 15:45 a draft is made from the city
forecast, warnings first. The draft for a date uses the signals in force at that day's push
(16:00) or now, whichever is earlier, so a past day's draft never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from servicekit.audit import Actor
from servicekit.clock import SHANGHAI, local, utcnow
from servicekit.errors import NotFound, ValidationFailed
from weather.models import AuditEntry, Bulletin, BulletinPublic, DailyForecast, WarningPublic
from weather.public import bulletin_public, warning_public
from weather.reference import CITY
from weather.serving import served_forecast
from weather.signals import signals_at

MAX_LENGTH = 140
DRAFT_AFTER = time(15, 45)
PUSH_AT = time(16, 0)
RELATIVE_DAYS = {0: "今天", 1: "明天", 2: "后天"}


def _day_label(day: date, today: date) -> str:
    return RELATIVE_DAYS.get((day - today).days, f"{day.month}月{day.day}日")


def _warning_line(names: Sequence[str]) -> str:
    """`【预警】东莞市暴雨橙色预警信号生效中，请注意防御。`, shortened to fit."""
    line = f"【预警】{'、'.join(names)}生效中，请注意防御。"
    shown = len(names)
    while len(line) > MAX_LENGTH and shown > 1:
        shown -= 1
        line = f"【预警】{'、'.join(names[:shown])}等{len(names)}个预警信号生效中，请注意防御。"
    return line


def draft_text(
    *,
    place: str,
    bulletin_date: date,
    days: Sequence[DailyForecast],
    warnings: Sequence[WarningPublic],
) -> str:
    """A bulletin of at most 140 characters: warnings first, then as many days as fit."""
    parts = [_warning_line([f"{w.area_name}{w.name}" for w in warnings])] if warnings else []
    for n, d in enumerate(days):
        label = _day_label(d.date, bulletin_date)
        if n == 0:
            line = (
                f"{place}{label}{d.text}，{d.temp_min_c}～{d.temp_max_c}℃，"
                f"降水概率{d.rain_probability}%，{d.wind_text}。"
            )
        else:
            line = f"{label}{d.text}，{d.temp_min_c}～{d.temp_max_c}℃。"
        if len("".join(parts)) + len(line) > MAX_LENGTH:
            break
        parts.append(line)
    # Only a pathological warning line alone can still be too long.
    return "".join(parts)[:MAX_LENGTH]


def draft_bulletin(*, session: Session, bulletin_date: date, now: datetime) -> str:
    """The automatic draft of a date from the city forecast and the signals then in force."""
    served = served_forecast(session=session, division=CITY, forecast_date=bulletin_date)
    moment = min(now, datetime.combine(bulletin_date, PUSH_AT, SHANGHAI))
    warnings = [warning_public(s) for s in signals_at(session=session, moment=moment)]
    return draft_text(
        place=CITY.name, bulletin_date=bulletin_date, days=served.days, warnings=warnings
    )


def bulletin_for(*, session: Session, bulletin_date: date, now: datetime) -> BulletinPublic:
    """The written bulletin, else the draft once 15:45 has passed; 404 before that."""
    written = session.get(Bulletin, bulletin_date)
    if written is not None:
        return bulletin_public(written)
    if now < datetime.combine(bulletin_date, DRAFT_AFTER, SHANGHAI):
        raise NotFound(
            f"{bulletin_date} 的天气短评尚未撰写；15:45 仍未撰写时将按全市预报自动生成。"
        )
    text = draft_bulletin(session=session, bulletin_date=bulletin_date, now=now)
    return BulletinPublic(date=bulletin_date, text=text, source="auto", written_at=None)


def bulletin_to_push(*, session: Session, bulletin_date: date, now: datetime) -> BulletinPublic:
    """What the push sends: the written bulletin, else the automatic draft, whatever the hour.

    Running the push is the decision that nothing more will be written: by 16:00 the draft rule
    (15:45) has applied anyway, and a push run by hand earlier, or for a past day that was
    missed, sends the draft rather than nothing.
    """
    written = session.get(Bulletin, bulletin_date)
    if written is not None:
        return bulletin_public(written)
    text = draft_bulletin(session=session, bulletin_date=bulletin_date, now=now)
    return BulletinPublic(date=bulletin_date, text=text, source="auto", written_at=None)


def check_text(text: str) -> str:
    """The text without its surrounding blanks; 422 naming `text` unless 1-140 characters."""
    text = text.strip()
    if not 1 <= len(text) <= MAX_LENGTH:
        detail = f"短评须为 1-{MAX_LENGTH} 字（现为 {len(text)} 字）。"
        raise ValidationFailed(
            detail,
            errors=[{"field": "text", "in": "body", "message": detail, "type": "value_error"}],
        )
    return text


def write_bulletin(
    *, session: Session, bulletin_date: date, text: str, actor: Actor
) -> BulletinPublic:
    """Write or rewrite the bulletin of a date (422 unless the text, trimmed, is 1-140 long)."""
    text = check_text(text)
    now = utcnow()
    row = session.get(Bulletin, bulletin_date)
    if row is None:
        session.add(
            Bulletin(
                bulletin_date=bulletin_date, text=text, written_by=actor.subject, written_at=now
            )
        )
        try:
            session.flush()
        except IntegrityError:  # written at the same moment by someone else: ours comes last
            session.rollback()
            row = session.get(Bulletin, bulletin_date)
    old = None
    if row is not None:
        old = row.text
        row.text, row.written_by, row.written_at = text, actor.subject, now
        session.add(row)
    AuditEntry.record(
        session=session,
        actor=actor,
        action="write",
        entity="bulletin",
        entity_id=bulletin_date.isoformat(),
        changes={"text": [old, text]},
    )
    session.commit()
    return BulletinPublic(date=bulletin_date, text=text, source="forecaster", written_at=local(now))
