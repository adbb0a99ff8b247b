"""`GET|POST /wechat/{account_code}`: the callback URL WeChat calls for each official account.

POST runs the checks of DESIGN §7 in order: body size cap -> signature -> timestamp window ->
safe XML parse -> (safe-mode decryption, later) -> route -> passive reply. WeChat never gets a
5xx or JSON from here: refusals are short plain text, and anything unexpected answers `success`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute

from gateway.settings import GatewaySettings, WechatAccount
from gateway.wechat.body import BodyTooLarge, read_capped_body
from gateway.wechat.messages import InboundMessage, MalformedMessage, parse_xml, to_message
from gateway.wechat.replies import NO_REPLY, Reply
from gateway.wechat.router import Context, MessageRouter
from gateway.wechat.rules import default_router
from gateway.wechat.signature import timestamp_is_fresh, verify_signature

log = logging.getLogger("gateway.wechat")

# WeChat gives up after 5 s and retries; the rest is left for the network and the reply.
HANDLER_BUDGET_SECONDS = 4.0
XML_MEDIA_TYPE = "application/xml"


class AlwaysAnswerRoute(APIRoute):
    """A route whose unexpected errors answer `success` instead of the app's 500 problem JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, guarded."""
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception:
                log.exception("wechat callback failed; answering success")
                return PlainTextResponse(NO_REPLY)

        return guarded


router = APIRouter(tags=["wechat"], route_class=AlwaysAnswerRoute)
_DEFAULT_ROUTER = default_router()


def message_router() -> MessageRouter:
    """The routing rules in force (a dependency, so they can be substituted)."""
    return _DEFAULT_ROUTER


def _text(content: str, status_code: int = 200) -> PlainTextResponse:
    return PlainTextResponse(content, status_code=status_code)


def _account(request: Request, code: str) -> WechatAccount | None:
    settings: GatewaySettings = request.app.state.settings
    return settings.wechat_account(code)


def _signed(request: Request, account: WechatAccount) -> bool:
    query = request.query_params
    return verify_signature(
        account.token,
        query.get("timestamp", ""),
        query.get("nonce", ""),
        query.get("signature", ""),
    )


@router.get(
    "/wechat/{account_code}",
    response_class=PlainTextResponse,
    summary="微信服务器地址验证",
    description="Query `signature`, `timestamp`, `nonce`, `echostr`; a valid signature echoes "
    "`echostr`.",
)
async def verify_url(account_code: str, request: Request) -> Response:
    """Answer WeChat's URL verification handshake."""
    account = _account(request, account_code)
    if account is None:
        return _text("unknown account", 404)
    if not _signed(request, account):
        log.warning("handshake with an invalid signature", extra={"account": account.code})
        return _text("invalid signature", 403)
    return _text(request.query_params.get("echostr", ""))


@router.post(
    "/wechat/{account_code}",
    response_class=Response,
    summary="微信消息与事件回调",
    description="Query `signature`, `timestamp`, `nonce`, `openid`; body: WeChat's XML.",
)
async def receive(
    account_code: str,
    request: Request,
    routes: Annotated[MessageRouter, Depends(message_router)],
) -> Response:
    """Check, parse and route one callback; answer a passive reply or `success`."""
    settings: GatewaySettings = request.app.state.settings
    account = settings.wechat_account(account_code)
    if account is None:
        return _text("unknown account", 404)
    extra = {"account": account.code}
    try:
        body = await read_capped_body(request)
    except BodyTooLarge:
        log.warning("callback body over the size cap", extra=extra)
        return _text("body too large", 413)
    # The body stays unparsed until the sender has proved it knows the token.
    if not _signed(request, account):
        log.warning("callback with an invalid signature", extra=extra)
        return _text("invalid signature", 403)
    if not timestamp_is_fresh(
        request.query_params.get("timestamp", ""),
        now=time.time(),
        window_seconds=settings.wechat_timestamp_window_seconds,
    ):
        log.warning("callback with a stale timestamp", extra=extra)
        return _text("stale timestamp", 403)
    try:
        fields = parse_xml(body)
        if account.mode == "safe":
            # Not faked: the follower gets no reply until safe-mode crypto exists.
            log.error("safe-mode callbacks are not supported yet; answering success", extra=extra)
            return _text(NO_REPLY)
        message = to_message(fields)
    except MalformedMessage as exc:
        log.warning("callback refused: %s", exc, extra=extra)
        return _text("invalid message", 400)
    reply = await _reply(routes, Context(account, request, _deadline()), message)
    if reply is None:
        return _text(NO_REPLY)
    return Response(reply.render(message, create_time=int(time.time())), media_type=XML_MEDIA_TYPE)


def _deadline() -> float:
    return asyncio.get_running_loop().time() + HANDLER_BUDGET_SECONDS


async def _reply(routes: MessageRouter, context: Context, message: InboundMessage) -> Reply | None:
    try:
        async with asyncio.timeout_at(context.deadline):
            return await routes.dispatch(context, message)
    except TimeoutError:
        # Delivering the late answer as a customer-service message is a later issue.
        log.warning(
            "handler passed its budget; answering success", extra={"account": context.account.code}
        )
        return None
