"""The chat configuration of an account — menu, keyword rules, welcome text — and its writes.

This is the contract the gateway's WeChat edge reads (`GET /v1/accounts/{code}/chat-config`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, col, delete, select

from accounts.keyword_rules import keyword_rules_errors, normalise_keyword_rules
from accounts.menu_rules import menu_errors
from accounts.models import AuditEntry, ChatConfig, KeywordRule, ReplyType, RuleMatch
from accounts.registry import get_account
from servicekit.audit import Actor
from servicekit.clock import utcnow
from servicekit.errors import Conflict, NotFound, ValidationFailed

WELCOME_CHARS = 600
# The field each part's audit entry names in its changes.
AUDITED_FIELD = {"menu": "menu", "keyword_rules": "rules", "welcome": "welcome_text"}
V = TypeVar("V")


class NewsArticle(BaseModel):
    """One article of a news reply (WeChat's Title, Description, Url, PicUrl)."""

    title: str = Field(description="标题，最多 64 字")
    description: str | None = Field(default=None, description="摘要")
    url: str = Field(description="点击后打开的链接（http/https）")
    picurl: str | None = Field(default=None, description="封面图片链接")


class KeywordRuleData(BaseModel):
    """One keyword rule, in evaluation order."""

    position: int = Field(description="评估顺序，从 0 开始；写入时可省略（由列表顺序决定）")
    match: RuleMatch = Field(
        description="exact：消息（去掉首尾空白）与某个关键词完全相同；contains：消息包含某个关键词；"
        "regex：Python re.search 在消息中找到某个正则。区分大小写（正则可用 (?i)）。"
    )
    patterns: list[str] = Field(description="关键词或正则，任意一个匹配即命中")
    reply_type: ReplyType = Field(
        description="text：回复 reply_text；news：回复 articles 图文；"
        "intent：由 intent 意图所属的服务回答"
    )
    reply_text: str | None = Field(default=None, description="文字回复（最多 2000 字）")
    articles: list[NewsArticle] | None = Field(default=None, description="图文回复，1-8 篇")
    intent: str | None = Field(
        default=None, description="意图 <service>.<name>，见 GET /v1/chat-intents"
    )
    params: dict[str, str] = Field(default_factory=dict, description="意图的固定参数")


class KeywordRules(BaseModel):
    """The ordered keyword rules of an account."""

    rules: list[KeywordRuleData]


class WelcomeText(BaseModel):
    """The text sent to a new follower."""

    welcome_text: str = Field(
        description=f"关注后自动回复的欢迎语，最多 {WELCOME_CHARS} 字；空串表示不回复"
    )


class ChatConfigPublic(BaseModel):
    """What the gateway needs to answer an account's chat."""

    account_code: str
    menu: dict[str, Any] | None = Field(
        description='微信 menu/create 格式的自定义菜单 {"button": [...]}，未配置时为 null'
    )
    welcome_text: str = Field(description="关注欢迎语；空串表示不回复")
    keyword_rules: list[KeywordRuleData] = Field(description="关键词规则，按 position 排序")


def config_row(*, session: Session, code: str) -> ChatConfig:
    """The stored menu and welcome text of `code`, or a new empty row (not yet added)."""
    return session.get(ChatConfig, code) or ChatConfig(account_code=code)


def stored_rules(*, session: Session, code: str) -> list[dict[str, Any]]:
    """The keyword rules of account `code` in their stored shape, in order."""
    rows = session.exec(
        select(KeywordRule)
        .where(KeywordRule.account_code == code)
        .order_by(col(KeywordRule.position))
    ).all()
    return [
        {
            "position": r.position,
            "match": r.match,
            "patterns": r.patterns,
            "reply_type": r.reply_type,
            "reply_text": r.reply_text,
            "articles": r.articles,
            "intent": r.intent,
            "params": r.params,
        }
        for r in rows
    ]


def chat_config(*, session: Session, code: str) -> ChatConfigPublic:
    """The chat configuration of account `code` (empty parts when none is set); 404 if unknown."""
    get_account(session=session, code=code)
    row = config_row(session=session, code=code)
    return ChatConfigPublic(
        account_code=code,
        menu=row.menu,
        welcome_text=row.welcome_text,
        keyword_rules=[
            KeywordRuleData.model_validate(r) for r in stored_rules(session=session, code=code)
        ],
    )


def stored_menu(*, session: Session, code: str) -> dict[str, Any]:
    """The WeChat menu stored for account `code`, unchanged; 404 if the account or menu is not."""
    get_account(session=session, code=code)
    menu = config_row(session=session, code=code).menu
    if menu is None:
        raise NotFound(f"公众号“{code}”尚未配置自定义菜单。")
    return menu


def store_rules(*, session: Session, code: str, rules: list[dict[str, Any]]) -> None:
    """Replace the keyword rules of `code` with normalised `rules`, uncommitted and unaudited."""
    # A bulk DELETE runs now, so the new positions cannot collide with the old rows'.
    session.exec(delete(KeywordRule).where(col(KeywordRule.account_code) == code))
    session.add_all(KeywordRule(account_code=code, **rule) for rule in rules)


def _fields(errors: list[dict[str, str]]) -> str:
    return "、".join(dict.fromkeys(e["field"] for e in errors))


def _writable(session: Session, code: str) -> None:
    account = get_account(session=session, code=code, for_update=True)
    if account.status != "active":
        raise Conflict(f"公众号“{code}”已停用，不能修改聊天配置。")


def _store_if_changed(
    *,
    session: Session,
    actor: Actor,
    code: str,
    part: str,
    old: V,
    new: V,
    store: Callable[[], None],
) -> V:
    """Store `new` and audit the change of `part` (menu, keyword_rules, welcome) in one commit;
    a write that changes nothing is neither stored nor recorded."""
    if old != new:
        store()
        AuditEntry.record(
            session=session,
            actor=actor,
            action=f"set_{part}",
            entity=part,
            entity_id=code,
            changes={AUDITED_FIELD[part]: [old, new]},
        )
        session.commit()
    return new


def set_menu(*, session: Session, code: str, menu: Any, actor: Actor) -> dict[str, Any]:
    """Validate and store the WeChat menu of `code`, audit-logged; 422 naming each bad field."""
    _writable(session, code)
    errors = menu_errors(menu=menu)
    if errors:
        raise ValidationFailed(f"自定义菜单不符合微信的限制：{_fields(errors)}", errors=errors)
    row = config_row(session=session, code=code)

    def store() -> None:
        row.menu, row.updated_at = menu, utcnow()
        session.add(row)

    return _store_if_changed(
        session=session, actor=actor, code=code, part="menu", old=row.menu, new=menu, store=store
    )


def set_keyword_rules(*, session: Session, code: str, body: Any, actor: Actor) -> KeywordRules:
    """Validate and replace the keyword rules of `code`, audit-logged; 422 naming each bad field."""
    _writable(session, code)
    errors = keyword_rules_errors(body=body)
    if errors:
        raise ValidationFailed(f"关键词规则无效：{_fields(errors)}", errors=errors)
    rules = normalise_keyword_rules(rules=body["rules"])
    _store_if_changed(
        session=session,
        actor=actor,
        code=code,
        part="keyword_rules",
        old=stored_rules(session=session, code=code),
        new=rules,
        store=lambda: store_rules(session=session, code=code, rules=rules),
    )
    return KeywordRules.model_validate({"rules": rules})


def set_welcome(*, session: Session, code: str, welcome_text: str, actor: Actor) -> str:
    """Store the welcome text of `code`, audit-logged."""
    _writable(session, code)
    if len(welcome_text) > WELCOME_CHARS:
        raise ValidationFailed(
            f"欢迎语不能超过 {WELCOME_CHARS} 个字符。",
            errors=[{"field": "welcome_text", "message": f"不能超过 {WELCOME_CHARS} 个字符"}],
        )
    row = config_row(session=session, code=code)

    def store() -> None:
        row.welcome_text, row.updated_at = welcome_text, utcnow()
        session.add(row)

    return _store_if_changed(
        session=session,
        actor=actor,
        code=code,
        part="welcome",
        old=row.welcome_text,
        new=welcome_text,
        store=store,
    )
