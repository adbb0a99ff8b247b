"""Routing driven by the accounts registry's chat configuration of each account.

- subscribe: the welcome text, and a follower event to accounts (in the background, so the
  reply never waits for it; de-duplication keeps a retried callback from sending it twice);
- unsubscribe: a follower event, no reply;
- text (and a voice message's transcript): the first keyword rule that matches, by position;
- click, scancode_*, pic_*, location_select: the rule matching the button's key like a text;
- a rule answers its text, its articles, or an intent the owning service answers (answers.py);
- text no rule matches: a short help built from the menu's buttons and the rules' keywords.
"""

from __future__ import annotations

import asyncio
import json
import logging

from gateway.wechat.chat_config import INTENT, ChatConfig, KeywordRule
from gateway.wechat.messages import (
    ClickEvent,
    InboundMessage,
    LocationSelectEvent,
    PicEvent,
    ScanCodeEvent,
    SubscribeEvent,
    TextMessage,
    UnsubscribeEvent,
    VoiceMessage,
)
from gateway.wechat.replies import Article, NewsReply, Reply, TextReply
from gateway.wechat.router import Context
from servicekit.identity import service_token

log = logging.getLogger("gateway.wechat.registry")

FOLLOWER_EVENT_TIMEOUT_SECONDS = 5.0
# Menu buttons whose event carries the button's key.
KEYED_EVENTS = (ClickEvent, ScanCodeEvent, PicEvent, LocationSelectEvent)
SORRY = "抱歉，暂时无法回答，请稍后再试。"


class RegistryRouter:
    """Answers every account from its chat configuration in the accounts registry."""

    def __init__(self) -> None:
        self._background: set[asyncio.Task[None]] = set()

    async def dispatch(self, context: Context, message: InboundMessage) -> Reply | None:
        """The reply to `message`, or None for no reply."""
        if isinstance(message, SubscribeEvent):
            self._follower_event(context, message, "subscribe")
            config = await self._config(context)
            return TextReply(config.welcome_text) if config.welcome_text else None
        if isinstance(message, UnsubscribeEvent):
            self._follower_event(context, message, "unsubscribe")
            return None
        if isinstance(message, TextMessage):
            text = message.content
        elif isinstance(message, VoiceMessage) and message.recognition:
            text = message.recognition
        elif isinstance(message, KEYED_EVENTS) and message.event_key:
            text = message.event_key
        else:
            return None
        config = await self._config(context)
        rule = config.rule_for(text)
        if rule is None:
            # An unknown menu key is a configuration slip; the citizen still gets the help.
            return TextReply(config.help())
        return await self._answer(context, message, text, rule, config)

    async def _config(self, context: Context) -> ChatConfig:
        timeout = min(1.0, max(0.1, context.remaining() / 4))
        return await context.state.chat_configs.get(context.account.code, timeout=timeout)

    async def _answer(
        self,
        context: Context,
        message: InboundMessage,
        text: str,
        rule: KeywordRule,
        config: ChatConfig,
    ) -> Reply | None:
        if rule.reply_type == "text" and rule.reply_text:
            return TextReply(rule.reply_text)
        if rule.reply_type == "news" and rule.articles:
            return NewsReply(
                tuple(
                    Article(
                        title=str(a.get("title") or ""),
                        description=str(a.get("description") or ""),
                        url=str(a.get("url") or ""),
                        picurl=str(a.get("picurl") or ""),
                    )
                    for a in rule.articles
                )
            )
        if rule.reply_type == INTENT:
            try:
                return await context.answers.answer(
                    context, message, text, rule.intent, rule.params
                )
            except (asyncio.CancelledError, TimeoutError):
                raise
            except Exception:
                log.exception("chat answer %s failed", rule.intent)
                return TextReply(SORRY)
        log.warning("keyword rule %s of %s cannot answer", rule.position, config.account_code)
        return TextReply(config.help())

    def _follower_event(self, context: Context, message: InboundMessage, event: str) -> None:
        payload: dict[str, object] = {
            "account_code": context.account.code,
            "openid": message.from_user_name,
            "event": event,
            "create_time": message.create_time,
        }
        unionid = message.raw.get("UnionId") or message.raw.get("Unionid")
        if unionid:
            payload["unionid"] = unionid
        event_key = getattr(message, "event_key", "")
        if event_key:
            payload["event_key"] = event_key[:128]
        secret = context.state.internal_token_secret
        task = asyncio.create_task(self._post_follower_event(context, payload, secret))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _post_follower_event(
        self, context: Context, payload: dict[str, object], secret: str
    ) -> None:
        token = service_token(secret=secret, caller="gateway", audience="accounts")
        try:
            response = await context.upstreams.request(
                "accounts",
                "POST",
                "/v1/internal/followers/events",
                headers=[
                    ("Authorization", f"Bearer {token}"),
                    ("Content-Type", "application/json"),
                ],
                body=json.dumps(payload).encode(),
                timeout=FOLLOWER_EVENT_TIMEOUT_SECONDS,
            )
        except Exception:
            log.exception(
                "follower event not delivered to accounts",
                extra={"account": payload["account_code"], "event": payload["event"]},
            )
            return
        if response.status >= 300:
            log.error(
                "accounts refused a follower event: %s %s",
                response.status,
                response.body[:200].decode("utf-8", "replace"),
                extra={"account": payload["account_code"], "event": payload["event"]},
            )
