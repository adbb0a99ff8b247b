"""The per-account routing registry."""

from typing import Any

from gateway.settings import WechatAccount
from gateway.wechat.messages import TextMessage, to_message
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context, MessageRouter


def context(code: str) -> Context:
    account = WechatAccount(code=code, appid=f"wx{code}", token="t")
    state: Any = None  # the registry itself never touches the gateway's state
    return Context(account=account, state=state, reply_deadline=0.0, work_deadline=0.0)


def message(msg_type: str, **fields: str) -> Any:
    base = {"ToUserName": "gh_1", "FromUserName": "o_1", "CreateTime": "1", "MsgType": msg_type}
    return to_message({**base, **fields})


def answering(text: str):
    async def handler(context: Context, message: TextMessage) -> Reply | None:
        return TextReply(text)

    return handler


def router() -> MessageRouter:
    routes = MessageRouter()
    routes.on_text("a", r"天气|预报", answering("weather"))
    routes.on_text("a", r"天", answering("second"))
    routes.on_unmatched_text("a", answering("help"))
    return routes


async def reply_to(code: str, msg: Any) -> Reply | None:
    return await router().dispatch(context(code), msg)


async def test_first_matching_rule_wins() -> None:
    assert await reply_to("a", message("text", Content="明天天气")) == TextReply("weather")
    assert await reply_to("a", message("text", Content="天")) == TextReply("second")


async def test_unmatched_text_goes_to_the_fallback() -> None:
    assert await reply_to("a", message("text", Content="你好")) == TextReply("help")


async def test_rules_are_per_account() -> None:
    assert await reply_to("b", message("text", Content="天气")) is None


async def test_events_and_other_types_get_no_reply() -> None:
    assert await reply_to("a", message("event", Event="CLICK")) is None
    assert await reply_to("a", message("image", PicUrl="http://x")) is None
