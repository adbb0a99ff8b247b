"""Followers: subscribe/unsubscribe events applied once each, and follower counts per day.

An event is stored once under WeChat's de-duplication key (FromUserName + CreateTime + Event +
EventKey, with the account, hashed to fit the column): the unique index makes a repeated
delivery a no-op even when both copies arrive at the same moment. A follower's state only moves
forward in WeChat time, so an event older than the state it would change is recorded but not
applied. `FollowerCount` holds the followers at the end of each Asia/Shanghai day on which the
count changed; a day without a row has the count of the latest earlier row.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from accounts.citizens import (
    ATTEMPTS,
    OptionalUnionid,
    WechatId,
    citizen_of_openid,
    mask,
    require_account,
    resolve_citizen,
)
from accounts.models import Account, Follower, FollowerCount, FollowerEvent, FollowerEventName
from servicekit.clock import as_utc, local_day, utcnow
from servicekit.errors import Conflict

log = logging.getLogger("accounts.followers")


class FollowerEventIn(BaseModel):
    """A subscribe or unsubscribe event as WeChat delivered it to the gateway."""

    account_code: str = Field(max_length=32, description="公众号代码")
    openid: WechatId = Field(description="FromUserName")
    unionid: OptionalUnionid = None
    event: FollowerEventName
    create_time: int = Field(ge=0, lt=2**32, description="CreateTime（Unix 秒）")
    event_key: str | None = Field(
        default=None, max_length=128, description="EventKey，如扫码关注的 qrscene_123"
    )


@dataclass(frozen=True)
class EventOutcome:
    """What recording one follower event did."""

    duplicate: bool
    follower_changed: bool
    subscribed: bool
    citizen_id: str | None


def dedup_key(event: FollowerEventIn) -> str:
    """WeChat's event de-duplication key for one account, as a SHA-256 hex digest."""
    parts = (
        event.account_code,
        event.openid,
        str(event.create_time),
        event.event,
        event.event_key or "",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def record_follower_event(session: Session, event: FollowerEventIn) -> EventOutcome:
    """Store and apply one event exactly once; commits."""
    require_account(session, account_code=event.account_code)
    key = dedup_key(event)
    attempt = 1
    while True:
        try:
            outcome = _apply(session, key=key, event=event)
            session.commit()
            return outcome
        except IntegrityError:
            session.rollback()
            if session.exec(select(FollowerEvent.id).where(FollowerEvent.dedup_key == key)).first():
                return _duplicate(session, account_code=event.account_code, openid=event.openid)
            if attempt == ATTEMPTS:
                raise
            attempt += 1


def _apply(session: Session, *, key: str, event: FollowerEventIn) -> EventOutcome:
    account_code, openid = event.account_code, event.openid
    occurred_at = datetime.fromtimestamp(event.create_time, UTC)
    # The event row goes first: its unique key turns a concurrent copy into an IntegrityError
    # here, and on SQLite this first write takes the database's write lock, so every read below
    # sees the latest committed state.
    session.add(
        FollowerEvent(
            dedup_key=key,
            account_code=account_code,
            openid=openid,
            event=event.event,
            occurred_at=occurred_at,
        )
    )
    session.flush()
    # Serialise the events of one account on PostgreSQL (follower state and day counts are
    # read, then written); SQLite serialises writers already and ignores FOR UPDATE. NO KEY
    # UPDATE, because FOR UPDATE would conflict with the key-share lock every insert referencing
    # the account takes (this transaction's event row among them: a deadlock between two events).
    lock = select(Account.code).where(Account.code == account_code)
    session.exec(lock.with_for_update(key_share=True)).one()
    subscribed = event.event == "subscribe"
    follower = session.get(Follower, (account_code, openid))
    changed = False
    if follower is None:
        # An unsubscribe of someone never seen (they followed before tracking began) is kept as
        # state so that an older, late subscribe is not applied, but it moves no count.
        session.add(
            Follower(
                account_code=account_code,
                openid=openid,
                subscribed=subscribed,
                changed_at=occurred_at,
            )
        )
        changed = subscribed
    elif occurred_at >= as_utc(follower.changed_at):
        changed = follower.subscribed != subscribed
        follower.subscribed = subscribed
        follower.changed_at = occurred_at
        session.add(follower)
    else:
        subscribed = follower.subscribed
    if changed:
        _shift_counts(
            session,
            account_code=account_code,
            day=local_day(occurred_at),
            delta=1 if subscribed else -1,
        )
    citizen_id = citizen_of_openid(session, openid=openid)
    if event.event == "subscribe":
        try:
            citizen_id = resolve_citizen(
                session,
                account_code=account_code,
                openid=openid,
                unionid=event.unionid,
                now=utcnow(),
            )
        except Conflict:
            # The follower statistics must not depend on an identity inconsistency; the
            # conflict itself is logged (masked) by resolve_citizen.
            log.warning(
                "subscribe counted without resolving the citizen", extra={"openid": mask(openid)}
            )
    session.flush()
    return EventOutcome(
        duplicate=False, follower_changed=changed, subscribed=subscribed, citizen_id=citizen_id
    )


def _duplicate(session: Session, *, account_code: str, openid: str) -> EventOutcome:
    follower = session.get(Follower, (account_code, openid))
    return EventOutcome(
        duplicate=True,
        follower_changed=False,
        subscribed=bool(follower and follower.subscribed),
        citizen_id=citizen_of_openid(session, openid=openid),
    )


def _count_before(session: Session, *, account_code: str, day: date) -> int | None:
    """The account's followers at the end of its latest recorded day before `day`, if any."""
    return session.exec(
        select(FollowerCount.followers)
        .where(FollowerCount.account_code == account_code, FollowerCount.day < day)
        .order_by(col(FollowerCount.day).desc())
        .limit(1)
    ).first()


def _shift_counts(session: Session, *, account_code: str, day: date, delta: int) -> None:
    """Add `delta` to the count at the end of `day` and of every later recorded day."""
    if session.get(FollowerCount, (account_code, day)) is None:
        previous = _count_before(session, account_code=account_code, day=day)
        session.add(FollowerCount(account_code=account_code, day=day, followers=previous or 0))
        session.flush()
    shifted = col(FollowerCount.followers) + delta
    session.execute(
        update(FollowerCount)
        .where(col(FollowerCount.account_code) == account_code, col(FollowerCount.day) >= day)
        # Never below zero, even against imported history that undercounts.
        .values(followers=case((shifted < 0, 0), else_=shifted))
        .execution_options(synchronize_session="fetch")
    )


def follower_counts(
    session: Session, *, account_code: str, start: date, end: date
) -> list[tuple[date, int]]:
    """Followers at the end of each day from `start` to `end` (days before any record left out)."""
    require_account(session, account_code=account_code)
    rows = session.exec(
        select(FollowerCount.day, FollowerCount.followers)
        .where(
            FollowerCount.account_code == account_code,
            FollowerCount.day >= start,
            FollowerCount.day <= end,
        )
        .order_by(col(FollowerCount.day))
    ).all()
    known = dict(rows)
    carried = _count_before(session, account_code=account_code, day=start)
    out: list[tuple[date, int]] = []
    day = start
    while day <= end:
        carried = known.get(day, carried)
        if carried is not None:
            out.append((day, carried))
        day += timedelta(days=1)
    return out
