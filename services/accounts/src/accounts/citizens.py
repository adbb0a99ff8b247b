"""Citizens: one stable `citizen_id` per person, keyed by WeChat unionid, with per-account openids.

The id is `c-` plus a random UUID, never derived from the unionid, so it leaks nothing about the
WeChat identity behind it.

Without a unionid (an account not bound to the city's WeChat Open Platform, or the gateway could
not fetch it) the openid alone keys a *provisional* citizen: its unionid column holds a
placeholder (`provisional:<citizen_id>`, which no real unionid can equal), and later calls with
the same openid find it through the openid. When a unionid arrives for that openid:

- if no citizen holds the unionid yet, the provisional citizen adopts it and keeps its id, so
  nothing the person did (consents, bindings) is lost;
- if another citizen already holds it, the provisional citizen is merged into that one: its
  openids move over, its active consents are withdrawn and its bindings are deleted in every
  service through the outbox (bindings are keyed by the retired id, which no token will carry
  again). The person binds again under the merged identity.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from accounts.models import Account, Citizen, CitizenOpenid, Consent
from accounts.outbox import enqueue_delete_bindings
from accounts.public import mask
from servicekit.clock import utcnow
from servicekit.errors import Conflict, NotFound

log = logging.getLogger("accounts.citizens")
PROVISIONAL_PREFIX = "provisional:"
# openids and unionids as WeChat issues them (28 characters of base64url in practice); the
# pattern also keeps the provisional placeholder out of anything a caller can send.
WECHAT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def blank_is_none(value: object) -> object:
    """WeChat leaves unknown fields empty; an empty unionid means none."""
    return value or None


WechatId = Annotated[str, Field(pattern=WECHAT_ID_PATTERN)]
OptionalUnionid = Annotated[
    WechatId | None,
    BeforeValidator(blank_is_none),
    Field(description="WeChat unionid；公众号未绑定开放平台时为空"),
]
# A unit of work lost to a concurrent one creating the same rows is retried from scratch.
ATTEMPTS = 3


def new_citizen_id() -> str:
    """A fresh, random citizen id (`c-` + 32 hex digits)."""
    return f"c-{uuid.uuid4().hex}"


def is_provisional(citizen: Citizen) -> bool:
    """True for a citizen known by an openid only, whose unionid has not arrived yet."""
    return citizen.unionid.startswith(PROVISIONAL_PREFIX)


def require_account(session: Session, *, account_code: str) -> Account:
    """The account with this code, or a 404 problem."""
    account = session.get(Account, account_code)
    if account is None:
        raise NotFound(f"未找到公众号“{account_code}”。")
    return account


def require_citizen(session: Session, *, citizen_id: str) -> Citizen:
    """The citizen with this id, or a 404 problem."""
    citizen = session.get(Citizen, citizen_id)
    if citizen is None:
        raise NotFound("未找到该市民的身份记录，请重新通过微信登录。")
    return citizen


def citizen_openids(session: Session, *, citizen_id: str) -> list[CitizenOpenid]:
    """The citizen's openids, one per account, ordered by account code."""
    query = select(CitizenOpenid).where(CitizenOpenid.citizen_id == citizen_id)
    return list(session.exec(query.order_by(col(CitizenOpenid.account_code))).all())


def citizen_of_openid(session: Session, *, openid: str) -> str | None:
    """The citizen an openid is recorded for, if any."""
    mapping = session.get(CitizenOpenid, openid)
    return None if mapping is None else mapping.citizen_id


def resolve_citizen(
    session: Session,
    *,
    account_code: str,
    openid: str,
    unionid: str | None,
    now: datetime,
) -> str:
    """Map a WeChat identity to its citizen_id, creating, adopting or merging as needed.

    Flushes but does not commit; a concurrent request creating the same citizen surfaces as an
    IntegrityError, and the caller retries the whole unit of work.
    """
    require_account(session, account_code=account_code)
    mapping = session.get(CitizenOpenid, openid)
    if mapping is not None and mapping.account_code != account_code:
        raise Conflict("该 openid 已登记在另一个公众号下。")
    holder = None if mapping is None else session.get(Citizen, mapping.citizen_id)
    if unionid is None:
        if holder is not None:
            return holder.id
        citizen = _create_citizen(session, unionid=None, now=now)
        _link(session, citizen_id=citizen.id, account_code=account_code, openid=openid)
        return citizen.id
    owner = session.exec(select(Citizen).where(Citizen.unionid == unionid)).first()
    if holder is not None and owner is not None and holder.id == owner.id:
        return owner.id
    if holder is not None and not is_provisional(holder):
        log.warning(
            "openid already belongs to a citizen with another unionid",
            extra={"openid": mask(openid), "unionid": mask(unionid)},
        )
        raise Conflict("该 openid 已属于另一位市民。")
    if owner is None and holder is not None:
        holder.unionid = unionid
        session.add(holder)
        session.flush()
        log.info("provisional citizen adopted its unionid", extra={"citizen_id": holder.id})
        return holder.id
    if owner is None:
        owner = _create_citizen(session, unionid=unionid, now=now)
    elif holder is not None:
        _merge(session, provisional=holder, into=owner, now=now)
    _link(session, citizen_id=owner.id, account_code=account_code, openid=openid)
    return owner.id


def resolve_citizen_committed(
    session: Session, *, account_code: str, openid: str, unionid: str | None
) -> str:
    """`resolve_citizen` in a transaction of its own, retried when a concurrent request won."""
    attempt = 1
    while True:
        try:
            citizen_id = resolve_citizen(
                session, account_code=account_code, openid=openid, unionid=unionid, now=utcnow()
            )
            session.commit()
            return citizen_id
        except IntegrityError:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
            attempt += 1


def _create_citizen(session: Session, *, unionid: str | None, now: datetime) -> Citizen:
    citizen_id = new_citizen_id()
    citizen = Citizen(
        id=citizen_id, unionid=unionid or f"{PROVISIONAL_PREFIX}{citizen_id}", created_at=now
    )
    session.add(citizen)
    session.flush()
    return citizen


def _link(session: Session, *, citizen_id: str, account_code: str, openid: str) -> None:
    """Record `openid` as the citizen's openid with the account (one openid per account)."""
    mapping = session.get(CitizenOpenid, openid)
    if mapping is not None and mapping.citizen_id == citizen_id:
        return
    query = select(CitizenOpenid).where(
        CitizenOpenid.citizen_id == citizen_id, CitizenOpenid.account_code == account_code
    )
    previous = session.exec(query).first()
    if previous is not None:
        # WeChat now vouches for another openid with this account (the account was migrated):
        # the newer one wins. Flushed first so the (citizen, account) uniqueness holds throughout.
        session.delete(previous)
        session.flush()
    if mapping is None:
        session.add(CitizenOpenid(openid=openid, account_code=account_code, citizen_id=citizen_id))
    else:
        mapping.citizen_id = citizen_id
        session.add(mapping)
    session.flush()


def _merge(session: Session, *, provisional: Citizen, into: Citizen, now: datetime) -> None:
    """Fold a provisional citizen into the citizen holding the unionid (see the module docs)."""
    for mapping in citizen_openids(session, citizen_id=provisional.id):
        _link(
            session,
            citizen_id=into.id,
            account_code=mapping.account_code,
            openid=mapping.openid,
        )
    active = select(Consent).where(
        Consent.citizen_id == provisional.id, col(Consent.withdrawn_at).is_(None)
    )
    for consent in session.exec(active).all():
        consent.withdrawn_at = now
        session.add(consent)
    enqueue_delete_bindings(session, citizen_id=provisional.id, now=now)
    session.flush()
    log.info(
        "provisional citizen merged",
        extra={"citizen_id": provisional.id, "merged_into": into.id},
    )
