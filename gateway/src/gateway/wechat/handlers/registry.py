"""The named chat handlers a keyword rule of the registry may answer with.

Names and parameters are accounts' catalogue (`GET /v1/chat-handlers`). A parameter the rule
leaves out is taken from the message where the catalogue says so (the town in "社保电话 大朗").
A name no service serves yet answers a polite "coming soon", never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from gateway.wechat.chat_config import ChatConfig
from gateway.wechat.handlers import socialsec, traffic
from gateway.wechat.handlers.towns import town_in_text
from gateway.wechat.handlers.weather import (
    CITY_CODE,
    forecast_reply,
    indices_reply,
    warnings_reply,
)
from gateway.wechat.messages import InboundMessage
from gateway.wechat.replies import Article, NewsReply, Reply, TextReply
from gateway.wechat.router import Context
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger("gateway.wechat.handlers")

# Leave time to answer (with an apology at worst) before the work deadline cuts the handler off.
REPLY_MARGIN_SECONDS = 0.3
LATEST_ARTICLES = 5


@dataclass(frozen=True)
class HandlerCall:
    """One call of a named handler: the message, its text (or menu key), and the rule's params."""

    context: Context
    message: InboundMessage
    text: str
    params: dict[str, str] = field(default_factory=dict)
    config: ChatConfig | None = None

    def timeout(self) -> float:
        """Seconds an upstream call may take and still leave time to answer."""
        return self.context.remaining() - REPLY_MARGIN_SECONDS


ChatHandler = Callable[[HandlerCall], Awaitable[Reply | None]]


# -- weather -------------------------------------------------------------------------------------


async def weather_today(call: HandlerCall) -> Reply | None:
    """Today's weather and the next days' forecast of params.location, a town named, or the city."""
    location = call.params.get("location") or await town_in_text(call) or CITY_CODE
    return await forecast_reply(call.context, location)


async def weather_index(call: HandlerCall) -> Reply | None:
    """Today's life indices (params.kind: umbrella, outing or all) of a town named, or the city."""
    location = call.params.get("location") or await town_in_text(call) or CITY_CODE
    return await indices_reply(call.context, location, call.params.get("kind", "all"))


async def weather_warnings(call: HandlerCall) -> Reply | None:
    """The warning signals in force across the city."""
    return await warnings_reply(call.context)


# -- accounts ------------------------------------------------------------------------------------

NO_ARTICLES = "暂时还没有最近推送的文章，敬请关注。"


async def latest_articles(call: HandlerCall) -> Reply | None:
    """The account's latest articles as a news reply."""
    code = call.context.account.code
    timeout = call.timeout()
    if timeout <= 0:
        return TextReply(NO_ARTICLES)
    try:
        status, body = await call.context.upstreams.get_json(
            "accounts",
            f"/v1/accounts/{quote(code, safe='')}/articles",
            query=f"limit={LATEST_ARTICLES}",
            timeout=timeout,
        )
        items = body.get("items") if status == 200 and isinstance(body, dict) else None
    except (UpstreamUnavailable, UpstreamTimeout, ValueError) as exc:
        log.warning("latest articles unavailable: %s", type(exc).__name__)
        items = None
    articles = tuple(
        Article(title=str(a["title"]), url=str(a["url"]))
        for a in items or ()
        if isinstance(a, dict) and a.get("title") and a.get("url")
    )
    if not articles:
        return TextReply(NO_ARTICLES)
    return NewsReply(articles)


# -- not served yet ------------------------------------------------------------------------------

COMING_SOON_LABELS = {
    "traffic.violations": "交通违法查询",
    "traffic.points": "驾驶证记分查询",
    "traffic.road_conditions": "路况查询",
    "traffic.appointments": "车驾管业务预约",
    "traffic.review_study": "审验学习",
    "traffic.fine_payment": "交通罚款缴纳",
    "traffic.guides": "办事指南",
    "accounts.latest_articles": "最新推送",
}


def coming_soon(name: str | None) -> str:
    """The polite answer of a handler not served yet."""
    label = COMING_SOON_LABELS.get(name or "")
    what = f"“{label}”功能" if label else "该功能"
    return f"{what}即将上线，敬请期待。您也可以点击菜单使用其他服务。"


HANDLERS: dict[str, ChatHandler] = {
    "weather.today": weather_today,
    # The forecast reply already holds the next days.
    "weather.forecast": weather_today,
    "weather.index": weather_index,
    "weather.warnings": weather_warnings,
    "socialsec.office_phone": socialsec.office_phone,
    "socialsec.enquiry": socialsec.enquiry,
    "socialsec.eligibility": socialsec.eligibility,
    "accounts.latest_articles": latest_articles,
    "traffic.violations": traffic.violations,
    "traffic.points": traffic.points,
    "traffic.road_conditions": traffic.road_conditions,
    "traffic.appointments": traffic.appointments,
    "traffic.guides": traffic.guides,
    "traffic.review_study": traffic.review_study,
}


async def run_handler(name: str | None, call: HandlerCall) -> Reply | None:
    """Answer with the named handler, or "coming soon" when no service serves it yet."""
    handler = HANDLERS.get(name or "")
    if handler is None:
        return TextReply(coming_soon(name))
    return await handler(call)
