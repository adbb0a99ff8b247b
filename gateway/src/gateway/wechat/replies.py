"""Replies to a citizen's message: the passive XML answered in the body of the callback's HTTP
response, or the same answer as a customer-service message when it comes too late for that.

`success` (or an empty body) tells WeChat "no reply" and stops its retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from gateway.platform.client import text_message
from gateway.wechat.messages import InboundMessage

NO_REPLY = "success"


class Reply(Protocol):
    """Anything a handler can answer with; rendered against the message it answers."""

    def render(self, message: InboundMessage, *, create_time: int) -> str:
        """The reply's XML."""
        ...

    def custom_message(self) -> dict[str, Any]:
        """The reply as a customer-service message body (WeChat's JSON, without `touser`)."""
        ...


def cdata(text: str) -> str:
    """`text` as CDATA; a `]]>` inside is split across two sections so it cannot close early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(message: InboundMessage, content: str, *, create_time: int) -> str:
    """A passive text reply to `message`: sender and receiver swapped."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(message.from_user_name)}</ToUserName>"
        f"<FromUserName>{cdata(message.to_user_name)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


@dataclass(frozen=True)
class TextReply:
    """A text reply."""

    content: str

    def render(self, message: InboundMessage, *, create_time: int) -> str:
        """The reply's XML."""
        return text_reply_xml(message, self.content, create_time=create_time)

    def custom_message(self) -> dict[str, Any]:
        """The reply as a customer-service message body (WeChat's JSON, without `touser`)."""
        return text_message(self.content)


@dataclass(frozen=True)
class Article:
    """One article of a news reply."""

    title: str
    description: str = ""
    url: str = ""
    picurl: str = ""


# WeChat shows at most 8 articles in a passive news reply.
MAX_ARTICLES = 8
# A customer-service news message may hold one article only (WeChat refuses more with 45008).
MAX_CUSTOM_ARTICLES = 1


@dataclass(frozen=True)
class NewsReply:
    """A news (图文) reply: 1-8 articles, each a card with title, description, picture and link."""

    articles: tuple[Article, ...]

    def render(self, message: InboundMessage, *, create_time: int) -> str:
        """The reply's XML."""
        articles = self.articles[:MAX_ARTICLES]
        items = "".join(
            "<item>"
            f"<Title>{cdata(a.title)}</Title>"
            f"<Description>{cdata(a.description)}</Description>"
            f"<PicUrl>{cdata(a.picurl)}</PicUrl>"
            f"<Url>{cdata(a.url)}</Url>"
            "</item>"
            for a in articles
        )
        return (
            "<xml>"
            f"<ToUserName>{cdata(message.from_user_name)}</ToUserName>"
            f"<FromUserName>{cdata(message.to_user_name)}</FromUserName>"
            f"<CreateTime>{int(create_time)}</CreateTime>"
            f"<MsgType>{cdata('news')}</MsgType>"
            f"<ArticleCount>{len(articles)}</ArticleCount>"
            f"<Articles>{items}</Articles>"
            "</xml>"
        )

    def custom_message(self) -> dict[str, Any]:
        """The reply as a customer-service message body (WeChat's JSON, without `touser`)."""
        articles = [
            {"title": a.title, "description": a.description, "url": a.url, "picurl": a.picurl}
            for a in self.articles[:MAX_CUSTOM_ARTICLES]
        ]
        return {"msgtype": "news", "news": {"articles": articles}}
