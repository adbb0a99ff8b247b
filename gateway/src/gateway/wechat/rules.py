"""Which handler answers what, per account.

Kept in code while there is one account; a later issue moves the keywords to the registry.
"""

from __future__ import annotations

from gateway.wechat.handlers.static import fixed_text
from gateway.wechat.handlers.weather import city_forecast
from gateway.wechat.router import MessageRouter

DGTQ_HELP = "您好，这里是东莞天气。\n回复“天气”查看东莞今日天气和未来几天预报。"


def default_router() -> MessageRouter:
    """The routing rules of every account the gateway serves."""
    router = MessageRouter()
    router.on_text("dgtq", r"天气|预报", city_forecast)
    router.on_unmatched_text("dgtq", fixed_text(DGTQ_HELP))
    return router
