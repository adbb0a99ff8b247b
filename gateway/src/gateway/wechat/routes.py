"""`GET|POST /wechat/{account_code}`: the callback URL WeChat calls for each official account.

POST runs the checks of DESIGN §7 in order: body size cap -> signature -> timestamp window ->
safe XML parse -> msg_signature, decryption and appid (safe and compatible mode, whatever the
query says of `encrypt_type`) -> the signature bound to its message (replay.py) ->
de-duplication -> route -> passive reply (encrypted in safe and compatible mode), or `success`
and a customer-service message when the handler needs more time.
A refusal is a short plain-text 4xx answered before anything is claimed or handled; WeChat never
gets a 5xx or JSON from here, and anything unexpected answers `success`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute

from gateway.settings import GatewaySettings, WechatAccount
from gateway.state import StateDep
from gateway.wechat.body import BodyTooLarge, read_capped_body
from gateway.wechat.crypto import WXBizMsgCrypt
from gateway.wechat.dedup import dedup_key, handle_once
from gateway.wechat.messages import (
    Fields,
    InboundMessage,
    MalformedMessage,
    parse_xml,
    to_message,
)
from gateway.wechat.registry_router import RegistryRouter
from gateway.wechat.replay import ALERT, ReplayGuard, signature_key
from gateway.wechat.replies import NO_REPLY, Reply
from gateway.wechat.router import Context, Dispatcher
from gateway.wechat.signature import timestamp_is_fresh, verify_signature
from wechat.crypto import CryptoError, InvalidAppId, InvalidSignature

log = logging.getLogger("gateway.wechat")

# WeChat gives up after 5 s and retries; the rest is left for the network and the reply. A handler
# still running then answers late, as a customer-service message (late.py).
HANDLER_BUDGET_SECONDS = 4.0
XML_MEDIA_TYPE = "application/xml"
_NONCES = random.Random(secrets.randbits(128))


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
_REGISTRY_ROUTER = RegistryRouter()


async def message_router() -> Dispatcher:
    """The routing in force: the registry's chat configuration (a dependency, so tests can
    substitute it; async, as a plain `def` would cost each callback a threadpool hop)."""
    return _REGISTRY_ROUTER


def _text(content: str, status_code: int = 200) -> PlainTextResponse:
    return PlainTextResponse(content, status_code=status_code)


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
    operation_id="verifyWechatServer",
    summary="微信服务器地址验证",
    description="Query `signature`, `timestamp`, `nonce`, `echostr`; a valid signature echoes "
    "`echostr`.",
)
async def verify_url(account_code: str, request: Request, state: StateDep) -> Response:
    """Answer WeChat's URL verification handshake."""
    account = state.settings.wechat_account(account_code)
    if account is None:
        return _text("unknown account", 404)
    if not _signed(request, account):
        log.warning("handshake with an invalid signature", extra={"account": account.code})
        return _text("invalid signature", 403)
    return _text(request.query_params.get("echostr", ""))


class Refused(Exception):
    """A callback refused before anything was claimed or handled."""

    def __init__(self, status_code: int, answer: str, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.answer = answer


@dataclass(frozen=True)
class Inbound:
    """A callback that passed every check: its message, and the crypto to encrypt the reply."""

    message: InboundMessage
    reply_crypto: WXBizMsgCrypt | None


@router.post(
    "/wechat/{account_code}",
    response_class=Response,
    operation_id="receiveWechatMessage",
    summary="微信消息与事件回调",
    description="Query `signature`, `timestamp`, `nonce`, `openid` (safe and compatible mode: "
    "also `encrypt_type=aes`, `msg_signature`, and `Encrypt` in the body); body: WeChat's XML.",
)
async def receive(
    account_code: str,
    request: Request,
    state: StateDep,
    routes: Annotated[Dispatcher, Depends(message_router)],
) -> Response:
    """Check, parse and route one callback; answer a passive reply or `success`."""
    settings = state.settings
    account = settings.wechat_account(account_code)
    if account is None:
        # Not counted: the metrics' account label takes configured accounts only.
        return _text("unknown account", 404)
    extra = {"account": account.code}
    metrics = state.metrics
    msg_type: str | None = None  # None while the message is not read
    try:
        inbound = await _checked(request, account, settings)
        msg_type = inbound.message.msg_type
        key = dedup_key(account.code, inbound.message)
        await _bound_to_its_message(request, state.wechat_replay, account, key)
    except Refused as refusal:
        log.warning("callback refused: %s", refusal, extra=extra)
        metrics.wechat_message(account.code, msg_type, "refused")
        return _text(refusal.answer, refusal.status_code)
    now = asyncio.get_running_loop().time()
    context = Context(
        account,
        state,
        reply_deadline=now + HANDLER_BUDGET_SECONDS,
        work_deadline=now + settings.wechat_late_reply_seconds,
    )

    handled = False

    async def handle() -> str:
        nonlocal handled
        handled = True
        answering = asyncio.create_task(_answer(routes, context, inbound.message))
        try:
            # asyncio.wait, unlike wait_for, leaves the handler running when time is up.
            await asyncio.wait({answering}, timeout=context.reply_remaining())
        finally:
            if not answering.done():
                # Past the deadline (or this request was cancelled): the answer goes out later.
                state.late_replies.deliver_when_done(
                    answering, account.code, inbound.message.from_user_name
                )
                log.warning(
                    "handler passed its reply budget; answering success, replying later",
                    extra=extra,
                )
        if not answering.done():
            metrics.wechat_message(account.code, msg_type, "late")
            return NO_REPLY
        metrics.wechat_message(account.code, msg_type, "answered")
        return _render(answering.result(), inbound)

    # A retry waits at most its own reply budget; by then the first delivery has stored its body
    # (`success` when its handler went past the reply deadline).
    body = await handle_once(
        state.wechat_dedup, key, handle, wait_seconds=context.reply_remaining()
    )
    if not handled:
        metrics.wechat_message(account.code, msg_type, "deduplicated")
    if body is None:
        log.warning("a retry's wait for the first delivery's reply ran out; answering success")
        body = NO_REPLY
    if body == NO_REPLY:
        return _text(NO_REPLY)
    return Response(body, media_type=XML_MEDIA_TYPE)


async def _checked(request: Request, account: WechatAccount, settings: GatewaySettings) -> Inbound:
    try:
        body = await read_capped_body(request)
    except BodyTooLarge:
        raise Refused(413, "body too large", "body over the size cap") from None
    # The body stays unparsed until the sender has proved it knows the token.
    if not _signed(request, account):
        raise Refused(403, "invalid signature", "invalid signature")
    query = request.query_params
    if not timestamp_is_fresh(
        query.get("timestamp", ""),
        now=time.time(),
        window_seconds=settings.wechat_timestamp_window_seconds,
    ):
        raise Refused(403, "stale timestamp", "stale timestamp")
    try:
        fields = parse_xml(body)
    except MalformedMessage as exc:
        raise Refused(400, "invalid message", str(exc)) from exc
    crypto = None
    # Compatible mode sends the plaintext fields as well, but only Encrypt is authenticated (the
    # URL signature does not cover the body): Encrypt and msg_signature are required whatever
    # the query says of encrypt_type, and the message is the decrypted one alone.
    if account.mode != "plain":
        crypto = WXBizMsgCrypt(account.token, account.encoding_aes_key, account.appid)
        fields = _decrypted(crypto, fields, request)
    try:
        return Inbound(to_message(fields), crypto)
    except MalformedMessage as exc:
        raise Refused(400, "invalid message", str(exc)) from exc


def _decrypted(crypto: WXBizMsgCrypt, envelope: Fields, request: Request) -> Fields:
    encrypted = envelope.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise Refused(400, "invalid message", "encrypted callback without Encrypt")
    query = request.query_params
    if not query.get("msg_signature"):
        raise Refused(403, "invalid signature", "encrypted callback without msg_signature")
    try:
        plaintext = crypto.decrypt_message(
            encrypted,
            msg_signature=query.get("msg_signature", ""),
            timestamp=query.get("timestamp", ""),
            nonce=query.get("nonce", ""),
        )
        return parse_xml(plaintext.encode())
    except InvalidSignature:
        raise Refused(403, "invalid signature", "invalid msg_signature") from None
    except InvalidAppId:
        raise Refused(403, "invalid appid", "message encrypted for another appid") from None
    except CryptoError as exc:
        raise Refused(400, "invalid message", f"undecryptable Encrypt ({exc.code})") from None
    except MalformedMessage as exc:
        raise Refused(400, "invalid message", f"decrypted {exc}") from exc


async def _bound_to_its_message(
    request: Request, guard: ReplayGuard, account: WechatAccount, message: str
) -> None:
    """Refuse a signed query already used for another message (see replay.py)."""
    query = request.query_params
    signature = signature_key(
        account.code,
        query.get("timestamp", ""),
        query.get("nonce", ""),
        query.get("signature", ""),
    )
    if not await guard.bind(signature, message):
        # Keys only: the message's sender and content are personal data.
        log.error(
            "callback signature replayed with another message",
            extra={"alert": ALERT, "account": account.code},
        )
        raise Refused(403, "replayed signature", "signature replayed with another message")


def _render(reply: Reply | None, inbound: Inbound) -> str:
    if reply is None:
        return NO_REPLY
    now = int(time.time())
    xml = reply.render(inbound.message, create_time=now)
    if inbound.reply_crypto is None:
        return xml
    # Our own nonce: echoing the request's would reflect an attacker-chosen string. It is public
    # (in the envelope), so a seeded generator serves: no system call per reply.
    nonce = str(_NONCES.randrange(10**10))
    return inbound.reply_crypto.encrypt_reply(xml, timestamp=str(now), nonce=nonce)


async def _answer(routes: Dispatcher, context: Context, message: InboundMessage) -> Reply | None:
    try:
        async with asyncio.timeout_at(context.work_deadline):
            return await routes.dispatch(context, message)
    except TimeoutError:
        log.warning(
            "handler passed its late budget; no answer", extra={"account": context.account.code}
        )
        return None
