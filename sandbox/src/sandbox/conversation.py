"""Conversations: what a citizen and an account said to each other, in order, as a chat shows it.

One log per (citizen, account): the citizen's messages, clicks and follows, the account's passive
replies, WeChat's apology when the account's server failed, and everything the account pushed
(customer-service, template and mass messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["to_account", "to_citizen"]
EntryKind = Literal[
    "text",
    "location",
    "click",
    "view",
    "subscribe",
    "unsubscribe",
    "reply",
    "failure",
    "custom",
    "template",
    "mass",
]

# What WeChat shows the citizen when the account's server gave no valid answer.
FAILURE_NOTICE = "该公众号暂时无法提供服务，请稍后再试"

# One-line stand-ins for what the chat does not render itself (media has no file here).
_PLACEHOLDERS = {
    "image": "[图片]",
    "voice": "[语音]",
    "video": "[视频]",
    "mpvideo": "[视频]",
    "shortvideo": "[小视频]",
    "music": "[音乐]",
    "mpnews": "[图文消息]",
    "mpnewsarticle": "[图文消息]",
    "wxcard": "[卡券]",
    "miniprogrampage": "[小程序]",
    "transfer_customer_service": "[已转接人工客服]",
}


@dataclass(frozen=True)
class ChatEntry:
    """One line of a conversation."""

    id: int
    at: float
    direction: Direction
    kind: EntryKind
    msgtype: str
    content: dict[str, Any]
    summary: str


def summarize(msgtype: str, content: dict[str, Any]) -> str:
    """A plain-text line for a message of `msgtype` (tests, logs and the page's fallback)."""
    if msgtype in ("text", "notice"):
        return str(content.get("content", ""))
    if msgtype == "news":
        titles = [str(a.get("title", "")) for a in content.get("articles", [])]
        return "[图文] " + " / ".join(titles)
    if msgtype == "mpnews" and isinstance(content.get("articles"), list):
        titles = [str(a.get("title", "")) for a in content["articles"]]
        return "[图文消息] " + " / ".join(titles)
    if msgtype == "template":
        values = [str(v.get("value", "")) for v in content.get("data", {}).values()]
        return "[模板消息] " + " ".join(values)
    if msgtype == "event":
        return _event_summary(content)
    if msgtype == "location":
        return f"[位置] {content.get('label') or ''}".strip()
    if msgtype == "msgmenu":
        return str(content.get("head_content", "")) or "[菜单消息]"
    title = content.get("title")
    placeholder = _PLACEHOLDERS.get(msgtype, f"[{msgtype} 消息]")
    return f"{placeholder} {title}" if title else placeholder


def _event_summary(content: dict[str, Any]) -> str:
    name = content.get("name") or content.get("key") or content.get("url") or ""
    return {
        "subscribe": "关注了公众号",
        "unsubscribe": "取消了关注",
        "CLICK": f"点击菜单「{name}」",
        "VIEW": f"打开菜单链接「{name}」",
    }.get(str(content.get("event")), f"[事件 {content.get('event')}]")
