"""Routing a message of an account to its handler: a small registry of per-account rules.

Text rules are regular expressions searched in the text, tried in the order they were added; an
account may set a fallback for text no rule matched. Messages no rule routes get no reply.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from gateway.settings import WechatAccount
from gateway.state import GatewayState
from gateway.upstreams import Upstreams
from gateway.wechat.answers import ChatAnswers
from gateway.wechat.messages import InboundMessage, TextMessage
from gateway.wechat.replies import Reply


@dataclass(frozen=True)
class Context:
    """What a handler may use: the account, the gateway's state (upstreams, chat configs,
    citizens, answers, settings...), and the deadlines of its answer.

    Deadlines are event-loop times (loop.time()). The passive reply waits until `reply_deadline`;
    a handler still running then goes on in the background until `work_deadline`, and its answer
    is sent as a customer-service message. So handlers size their upstream calls by `remaining()`
    (the work deadline): a call cut short at the reply deadline could never answer late.
    """

    account: WechatAccount
    state: GatewayState
    reply_deadline: float
    work_deadline: float

    @property
    def upstreams(self) -> Upstreams:
        """The gateway's pooled clients to the services."""
        return self.state.upstreams

    @property
    def answers(self) -> ChatAnswers:
        """The services' chat answers (intents of the keyword rules)."""
        return self.state.answers

    def remaining(self) -> float:
        """Seconds left before the work deadline (never negative)."""
        return max(0.0, self.work_deadline - asyncio.get_running_loop().time())

    def reply_remaining(self) -> float:
        """Seconds left before the passive reply is due (never negative)."""
        return max(0.0, self.reply_deadline - asyncio.get_running_loop().time())


class Dispatcher(Protocol):
    """Anything that answers a callback's message: the registry router, or a MessageRouter."""

    async def dispatch(self, context: Context, message: InboundMessage) -> Reply | None:
        """The reply to `message`, or None for no reply."""
        ...


TextHandler = Callable[[Context, TextMessage], Awaitable[Reply | None]]


@dataclass(frozen=True)
class TextRule:
    """Text matching `pattern` (searched anywhere in the text) goes to `handler`."""

    pattern: re.Pattern[str]
    handler: TextHandler


class MessageRouter:
    """Per-account routing rules."""

    def __init__(self) -> None:
        self._text_rules: dict[str, list[TextRule]] = {}
        self._text_fallbacks: dict[str, TextHandler] = {}

    def on_text(self, account_code: str, pattern: str, handler: TextHandler) -> None:
        """Route text of `account_code` matching the regular expression `pattern` to `handler`."""
        rule = TextRule(re.compile(pattern), handler)
        self._text_rules.setdefault(account_code, []).append(rule)

    def on_unmatched_text(self, account_code: str, handler: TextHandler) -> None:
        """Route text of `account_code` that no rule matched to `handler`."""
        self._text_fallbacks[account_code] = handler

    async def dispatch(self, context: Context, message: InboundMessage) -> Reply | None:
        """The reply of the handler `message` routes to, or None when nothing handles it."""
        code = context.account.code
        if isinstance(message, TextMessage):
            for rule in self._text_rules.get(code, ()):
                if rule.pattern.search(message.content):
                    return await rule.handler(context, message)
            fallback = self._text_fallbacks.get(code)
            if fallback is not None:
                return await fallback(context, message)
        return None
