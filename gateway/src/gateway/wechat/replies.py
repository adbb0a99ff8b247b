"""Passive replies: the XML answered in the body of the callback's HTTP response.

`success` (or an empty body) tells WeChat "no reply" and stops its retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.wechat.messages import InboundMessage

NO_REPLY = "success"


class Reply(Protocol):
    """Anything a handler can answer with; rendered against the message it answers."""

    def render(self, message: InboundMessage, *, create_time: int) -> str:
        """The reply's XML."""
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


@dataclass(frozen=True)
class Article:
    """One article of a news reply."""

    title: str
    description: str = ""
    url: str = ""
    picurl: str = ""


# WeChat shows at most 8 articles in a passive news reply.
MAX_ARTICLES = 8


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
