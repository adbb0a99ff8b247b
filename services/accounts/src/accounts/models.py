"""Account registry tables and API models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import ConfigDict
from sqlalchemy import JSON, BigInteger, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import AutoString, Column, Field, SQLModel

from accounts import openapi_examples as examples
from servicekit.access_log import AttributedAccessLogBase
from servicekit.audit import AuditEntryBase
from servicekit.db import table_base

Table = table_base()

AccountKind = Literal["subscription", "service"]
ACCOUNT_KINDS: tuple[str, ...] = get_args(AccountKind)
AccountStatus = Literal["active", "retired"]
RuleMatch = Literal["exact", "contains", "regex"]
RULE_MATCHES: tuple[str, ...] = get_args(RuleMatch)
ReplyType = Literal["text", "news", "intent"]
REPLY_TYPES: tuple[str, ...] = get_args(ReplyType)
FollowerEventName = Literal["subscribe", "unsubscribe"]
Purpose = Literal["traffic_records", "socialsec_records"]


class AccountBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32, description="账号代码，如 dgjj")
    name: str = Field(max_length=64, description="公众号名称，如 东莞交警")
    wechat_id: str | None = Field(default=None, max_length=64, description="微信号；未公开时为空")
    kind: AccountKind | None = Field(
        default=None,
        sa_type=AutoString(length=16),
        description="subscription 订阅号 | service 服务号；来源未说明时为空",
    )
    verified_entity: str | None = Field(default=None, max_length=64, description="微信认证主体")
    agency: str | None = Field(default=None, max_length=64, description="运营单位")
    category: str = Field(max_length=32, description="领域，如 traffic、weather、town")
    town: str | None = Field(
        default=None, max_length=32, description="镇街账号所属镇街代码，如 dalang；市级账号为空"
    )
    launch_date: date | None = Field(
        default=None, description="开通日期；只知年月或不详时为空（年月见 description）"
    )
    followers: int | None = Field(default=None, description="粉丝数（报道所载约数）；不详时为空")
    description: str = Field(max_length=500, description="账号简介")
    appid: str | None = Field(default=None, max_length=32, description="公众号 AppID")
    status: AccountStatus = Field(
        default="active", sa_type=AutoString(length=16), description="active | retired"
    )


class Account(Table, AccountBase, table=True):
    updated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AccountPublic(AccountBase):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ACCOUNT]})


class AuditEntry(Table, AuditEntryBase, table=True):
    """One staff write (servicekit.audit)."""

    __tablename__ = "audit_entry"


class AccessLog(Table, AttributedAccessLogBase, table=True):
    """One read of a citizen's personal records (servicekit.access_log)."""

    __tablename__ = "access_log"


class ChatConfig(Table, table=True):
    """The chat configuration of one account: its WeChat custom menu and welcome text."""

    __tablename__ = "chat_config"
    account_code: str = Field(foreign_key="account.code", primary_key=True, max_length=32)
    menu: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    welcome_text: str = Field(default="", max_length=600)
    updated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class KeywordRule(Table, table=True):
    """An ordered keyword or regular-expression rule mapping text to a reply or a chat intent."""

    __tablename__ = "keyword_rule"
    __table_args__ = (UniqueConstraint("account_code", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    account_code: str = Field(foreign_key="account.code", max_length=32, index=True)
    position: int = Field(description="evaluation order, lowest first")
    match: RuleMatch = Field(sa_type=AutoString(length=16), description="exact | contains | regex")
    patterns: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reply_type: ReplyType = Field(sa_type=AutoString(length=16), description="text | news | intent")
    reply_text: str | None = Field(default=None, max_length=2000)
    articles: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    intent: str | None = Field(default=None, max_length=64, description="<service>.<name>")
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Article(Table, table=True):
    """One pushed article with its latest statistics ("10万+" reads are stored as 100001)."""

    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("account_code", "url"),
        Index("ix_article_account_published", "account_code", "published_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_code: str = Field(foreign_key="account.code", max_length=32)
    published_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    title: str = Field(max_length=200)
    url: str = Field(max_length=1024)
    is_headline: bool = Field(default=False, description="头条")
    reads: int = Field(default=0, ge=0)
    likes: int = Field(default=0, ge=0)
    wows: int = Field(default=0, ge=0, description="在看")
    shares: int = Field(default=0, ge=0)


class ArticleSnapshot(Table, table=True):
    """Statistics of an article as captured at one moment (history behind Article's totals)."""

    __tablename__ = "article_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    captured_at: datetime = Field(sa_type=DateTime(timezone=True))
    reads: int = Field(default=0, ge=0)
    likes: int = Field(default=0, ge=0)
    wows: int = Field(default=0, ge=0)
    shares: int = Field(default=0, ge=0)


class FollowerCount(Table, table=True):
    """Followers of an account at the end of a day."""

    __tablename__ = "follower_count"
    account_code: str = Field(foreign_key="account.code", primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    followers: int = Field(ge=0)


class Citizen(Table, table=True):
    """A person, stable across the city's accounts (keyed by WeChat unionid)."""

    __tablename__ = "citizen"
    id: str = Field(primary_key=True, max_length=40, description="citizen_id")
    unionid: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


class CitizenOpenid(Table, table=True):
    """The openid a citizen has with one account."""

    __tablename__ = "citizen_openid"
    __table_args__ = (UniqueConstraint("citizen_id", "account_code"),)
    openid: str = Field(primary_key=True, max_length=64)
    account_code: str = Field(foreign_key="account.code", max_length=32)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=40, index=True)


class Follower(Table, table=True):
    """Whether an openid follows an account now."""

    __tablename__ = "follower"
    account_code: str = Field(foreign_key="account.code", primary_key=True, max_length=32)
    openid: str = Field(primary_key=True, max_length=64)
    subscribed: bool
    changed_at: datetime = Field(sa_type=DateTime(timezone=True))


class FollowerEvent(Table, table=True):
    """A subscribe/unsubscribe event, stored once per WeChat de-duplication key."""

    __tablename__ = "follower_event"
    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(unique=True, max_length=200)
    account_code: str = Field(foreign_key="account.code", max_length=32, index=True)
    openid: str = Field(max_length=64)
    event: FollowerEventName = Field(
        sa_type=AutoString(length=16), description="subscribe | unsubscribe"
    )
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))


class Consent(Table, table=True):
    """A citizen's consent for one purpose; withdrawal keeps the row with its time."""

    __tablename__ = "consent"
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: str = Field(foreign_key="citizen.id", max_length=40, index=True)
    purpose: Purpose = Field(
        sa_type=AutoString(length=32), description="traffic_records | socialsec_records"
    )
    granted_at: datetime = Field(sa_type=DateTime(timezone=True))
    withdrawn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class OutboxMessage(Table, table=True):
    """A call another service must acknowledge; retried until it does (nothing is lost)."""

    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, description="delete_bindings")
    target: str = Field(max_length=32, description="traffic | socialsec | inspection")
    citizen_id: str = Field(max_length=40, index=True)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, max_length=500)
    last_status: int | None = Field(default=None, description="HTTP status of the last answer")
    lease_owner: str | None = Field(
        default=None, max_length=100, description="the delivering instance while it holds a lease"
    )


PushAudience = Literal["all", "town"]
PushStatus = Literal["scheduled", "sent", "failed"]


class EditorArticle(Table, table=True):
    """An article an editor writes for an account (limited HTML body, optional cover picture)."""

    __tablename__ = "editor_article"
    id: int | None = Field(default=None, primary_key=True)
    account_code: str = Field(foreign_key="account.code", max_length=32, index=True)
    title: str = Field(max_length=64)
    author: str = Field(default="", max_length=8)
    digest: str = Field(default="", max_length=120)
    body_html: str = Field(sa_type=Text)
    source_url: str | None = Field(default=None, max_length=1024)
    cover: bytes | None = Field(default=None, sa_type=LargeBinary)
    cover_type: str | None = Field(default=None, max_length=16, description="image/png | jpeg")
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))


class ArticlePush(Table, table=True):
    """The one scheduled mass send of an editor's article, claimed by one sender at a time."""

    __tablename__ = "article_push"
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="editor_article.id", unique=True)
    account_code: str = Field(foreign_key="account.code", max_length=32, index=True)
    send_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    audience: PushAudience = Field(sa_type=AutoString(length=8), description="all | town")
    town: str | None = Field(default=None, max_length=32)
    status: PushStatus = Field(
        sa_type=AutoString(length=16), description="scheduled | sent | failed"
    )
    attempts: int = Field(default=0)
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    msg_id: int | None = Field(default=None, sa_type=BigInteger)
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    error: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


StatisticsImportStatus = Literal["running", "done", "failed"]


class StatisticsImport(Table, table=True):
    """The import of one account's day from the platform's data APIs, claimed by one runner."""

    __tablename__ = "statistics_import"
    account_code: str = Field(foreign_key="account.code", primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    status: StatisticsImportStatus = Field(
        sa_type=AutoString(length=16), description="running | done | failed"
    )
    attempts: int = Field(default=0)
    lease_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    articles: int = Field(default=0, description="articles read that day, matched to ours")
    unmatched: int = Field(default=0, description="articles read that day we have no row for")
    reads: int = Field(default=0)
    followers: int | None = Field(default=None, description="cumulate_user at the day's end")
    new_followers: int = Field(default=0)
    cancelled_followers: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)


class ArticleDayStatistic(Table, table=True):
    """What the platform counted for one of our articles on one day (getarticlesummary)."""

    __tablename__ = "article_day_statistic"
    __table_args__ = (Index("ix_article_day_statistic_account_day", "account_code", "day"),)
    article_id: int = Field(foreign_key="article.id", primary_key=True)
    day: date = Field(primary_key=True)
    account_code: str = Field(foreign_key="account.code", max_length=32)
    msgid: str = Field(max_length=40, description="the platform's <msg_data_id>_<index>")
    reads: int = Field(default=0, ge=0, description="int_page_read_count")
    read_users: int = Field(default=0, ge=0, description="int_page_read_user")
    shares: int = Field(default=0, ge=0, description="share_count")
    favourites: int = Field(default=0, ge=0, description="add_to_fav_count")
