"""The public shapes of accounts' records, and the mappers from domain objects to them.

Routes answer with these; keeping the mappers together keeps masking and local times uniform.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, field_validator

from accounts.clock import local
from accounts.models import Account, AccountPublic, CitizenOpenid
from servicekit.clock import as_utc

if TYPE_CHECKING:
    from accounts.consents import ConsentState


def mask(value: str) -> str:
    """An openid or unionid as logs and citizens may see it: its first and last four only."""
    return f"{value[:4]}****{value[-4:]}" if len(value) > 8 else "****"


def account_public(account: Account) -> AccountPublic:
    """An account as the registry publishes it."""
    return AccountPublic.model_validate(account, from_attributes=True)


class OpenidPublic(BaseModel):
    """One openid of a citizen."""

    account_code: str
    openid: str


def openid_public(link: CitizenOpenid, *, masked: bool = False) -> OpenidPublic:
    """A citizen's openid with one account, masked to its first and last 4 when `masked`."""
    return OpenidPublic(
        account_code=link.account_code, openid=mask(link.openid) if masked else link.openid
    )


class CitizenDetail(BaseModel):
    """A citizen with their openids, one per account."""

    citizen_id: str
    provisional: bool = Field(description="true：尚无 unionid，仅凭 openid 识别")
    openids: list[OpenidPublic]


class DeletionOut(BaseModel):
    """The deletion of the citizen's bindings in one service after a withdrawal."""

    service: str = Field(description="traffic | socialsec | inspection")
    status: Literal["pending", "acknowledged"] = Field(
        description="pending 删除中 | acknowledged 已删除"
    )
    attempts: int = Field(description="已尝试通知的次数")
    acknowledged_at: datetime | None


class ConsentOut(BaseModel):
    """One purpose: whether the citizen consents, since when, and the deletions of a withdrawal."""

    purpose: str
    title: str
    status: Literal["granted", "withdrawn", "not_granted"]
    granted_at: datetime | None
    withdrawn_at: datetime | None
    deletions: list[DeletionOut]


def consent_out(state: ConsentState) -> ConsentOut:
    """The citizen-facing form of a consent state (times in Asia/Shanghai)."""
    return ConsentOut(
        purpose=state.purpose,
        title=state.title,
        status=state.status,
        granted_at=local(state.granted_at),
        withdrawn_at=local(state.withdrawn_at),
        deletions=[
            DeletionOut(
                service=d.service,
                status=d.status,
                attempts=d.attempts,
                acknowledged_at=local(d.acknowledged_at),
            )
            for d in state.deletions
        ],
    )


class MeOut(BaseModel):
    """Who the citizen is to the city's accounts."""

    citizen_id: str
    provisional: bool = Field(description="true：尚无 unionid，仅凭 openid 识别")
    openids: list[OpenidPublic] = Field(description="各公众号下的 openid（仅显示首尾各 4 位）")
    consents: list[ConsentOut] = Field(description="与 /v1/me/consents 的各项相同")


class OutboxEntry(BaseModel):
    """One outbox message: what is to be told to whom, and how delivering it went."""

    id: int
    kind: str = Field(description="delete_bindings：撤回授权后删除该市民的绑定")
    target: str = Field(description="traffic | socialsec | inspection")
    citizen_id: str
    attempts: int = Field(description="已尝试送达的次数")
    last_status: int | None = Field(description="最近一次应答的 HTTP 状态码；未连通时为空")
    last_error: str | None = Field(description="最近一次未送达的原因")
    created_at: datetime
    next_attempt_at: datetime = Field(description="下次尝试的时间（投递中时为租约到期时间）")
    delivered_at: datetime | None
    lease_owner: str | None = Field(default=None, description="正在投递的实例；无人投递时为空")
    age_seconds: int = Field(default=0, description="自写入起经过的秒数")

    @field_validator("created_at", "next_attempt_at", "delivered_at")
    @classmethod
    def _local(cls, value: datetime | None) -> datetime | None:
        return local(value)


def with_age(entry: OutboxEntry, now: datetime) -> OutboxEntry:
    """The entry's age at `now`; its lease owner only while the lease still runs."""
    leased = entry.delivered_at is None and as_utc(entry.next_attempt_at) > now
    return entry.model_copy(
        update={
            "age_seconds": int((now - as_utc(entry.created_at)).total_seconds()),
            "lease_owner": entry.lease_owner if leased else None,
        }
    )
