"""Handlers that answer a fixed text (help, greetings)."""

from __future__ import annotations

from gateway.wechat.messages import TextMessage
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context, TextHandler


def fixed_text(content: str) -> TextHandler:
    """A handler that always answers `content`."""

    async def answer(context: Context, message: TextMessage) -> Reply | None:
        return TextReply(content)

    return answer
