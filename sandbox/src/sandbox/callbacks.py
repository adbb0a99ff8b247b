"""WeChat's side of the callback: a citizen's message or event posted to the account's server.

The sandbox builds WeChat's XML, signs it (and in compatible and safe mode encrypts it) per the
account's mode, posts it to `{gateway_url}/wechat/{code}` with WeChat's deadline and attempts,
and reads the passive reply as WeChat does. `converse` records the outcome in the conversation:
the reply, or the apology WeChat shows when no attempt got a valid answer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from sandbox.conversation import FAILURE_NOTICE, ChatEntry
from sandbox.state import Account, SandboxState
from wechat.crypto import CryptoError, MessageCrypt, sign
from wechat.demo_citizens import DemoCitizen

Value = str | int | float
NO_REPLY = b"success"
# Media replies carry a media_id the sandbox has no file for: the chat shows a stand-in.
_MEDIA_REPLIES = {"image": "Image", "voice": "Voice", "video": "Video", "music": "Music"}


def cdata(text: str) -> str:
    """`text` as CDATA; a `]]>` inside is split across two sections so it cannot close early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True)
class Callback:
    """One message or event from a citizen, as WeChat posts it to the account's server."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    fields: tuple[tuple[str, Value], ...] = ()
    msg_id: int | None = None

    def xml(self) -> str:
        """WeChat's XML: text as CDATA, numbers bare, MsgId last (messages only)."""
        parts: list[tuple[str, Value]] = [
            ("ToUserName", self.to_user),
            ("FromUserName", self.from_user),
            ("CreateTime", self.create_time),
            ("MsgType", self.msg_type),
            *self.fields,
        ]
        if self.msg_id is not None:
            parts.append(("MsgId", self.msg_id))
        body = "".join(
            f"<{name}>{cdata(value) if isinstance(value, str) else value}</{name}>"
            for name, value in parts
        )
        return f"<xml>{body}</xml>"


def new_msg_id() -> int:
    """A fresh 64-bit MsgId, as large as WeChat's."""
    return 10**18 + secrets.randbelow(9 * 10**18)


def text_message(account: Account, openid: str, content: str, *, create_time: int) -> Callback:
    """A text message typed by the citizen."""
    return Callback(
        account.original_id,
        openid,
        create_time,
        "text",
        (("Content", content),),
        msg_id=new_msg_id(),
    )


def location_message(
    account: Account,
    openid: str,
    *,
    latitude: float,
    longitude: float,
    scale: int,
    label: str,
    create_time: int,
) -> Callback:
    """A location the citizen shared."""
    fields: tuple[tuple[str, Value], ...] = (
        ("Location_X", latitude),
        ("Location_Y", longitude),
        ("Scale", scale),
        ("Label", label),
    )
    return Callback(
        account.original_id, openid, create_time, "location", fields, msg_id=new_msg_id()
    )


def event(
    account: Account, openid: str, name: str, *, create_time: int, key: str | None = None
) -> Callback:
    """An event: subscribe, unsubscribe, CLICK (key = the button's key), VIEW (key = the URL)."""
    fields: tuple[tuple[str, Value], ...] = (("Event", name),)
    if key is not None:
        fields += (("EventKey", key),)
    return Callback(account.original_id, openid, create_time, "event", fields)


@dataclass(frozen=True)
class SignedRequest:
    """One delivery of a callback: the query and the body, and how to read the reply (the
    crypto of an encrypted callback; whether only an encrypted reply is valid, in safe mode)."""

    params: dict[str, str]
    body: bytes
    crypt: MessageCrypt | None = None
    encrypted_reply_only: bool = False


def signed_request(
    account: Account, callback: Callback, *, timestamp: int, nonce: str
) -> SignedRequest:
    """The callback signed, and encrypted as the account's mode wants it."""
    stamp = str(timestamp)
    params = {
        "signature": sign(account.token, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": callback.from_user,
    }
    xml = callback.xml()
    if account.mode == "plain":
        return SignedRequest(params, xml.encode())
    crypt = MessageCrypt(account.token, account.encoding_aes_key, account.appid)
    encrypted = crypt.encrypt(xml)
    params |= {"encrypt_type": "aes", "msg_signature": crypt.signature(stamp, nonce, encrypted)}
    encrypt = f"<Encrypt>{cdata(encrypted)}</Encrypt>"
    if account.mode == "safe":
        body = f"<xml><ToUserName>{cdata(callback.to_user)}</ToUserName>{encrypt}</xml>"
    else:
        # Compatible mode: the plaintext fields and Encrypt side by side.
        body = xml.removesuffix("</xml>") + encrypt + "</xml>"
    return SignedRequest(params, body.encode(), crypt, encrypted_reply_only=account.mode == "safe")


@dataclass(frozen=True)
class PassiveReply:
    """A reply as the chat shows it: a message type and its content."""

    msgtype: str
    content: dict[str, Any]


class InvalidReply(Exception):
    """The server answered 200 with something WeChat cannot show (the reason in Chinese)."""


def _parse(body: bytes) -> Element:
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidReply(f"回复不是合法的 XML（{type(exc).__name__}）") from exc
    if root.tag != "xml":
        raise InvalidReply(f"回复的根元素是 {root.tag}，应为 xml")
    return root


def read_reply(
    body: bytes,
    *,
    to_user: str,
    crypt: MessageCrypt | None = None,
    encrypted_only: bool = False,
) -> PassiveReply | None:
    """The passive reply in a 200 answer; None for `success` or an empty body.

    With `crypt` (the callback was encrypted) an encrypted envelope's MsgSignature is verified
    and it is decrypted; `encrypted_only` (safe mode) refuses a plaintext reply.
    """
    stripped = body.strip()
    if not stripped or stripped == NO_REPLY:
        return None
    root = _parse(stripped)
    encrypted = root.findtext("Encrypt")
    if encrypted is not None:
        if crypt is None:
            raise InvalidReply("明文模式的公众号回复了加密消息")
        try:
            plaintext = crypt.decrypt_message(
                encrypted,
                msg_signature=root.findtext("MsgSignature") or "",
                timestamp=root.findtext("TimeStamp") or "",
                nonce=root.findtext("Nonce") or "",
            )
        except CryptoError as exc:
            raise InvalidReply(f"加密回复校验或解密失败（{exc.code}）") from exc
        root = _parse(plaintext.encode())
    elif encrypted_only:
        raise InvalidReply("安全模式的公众号回复了明文消息")
    if root.findtext("ToUserName") != to_user:
        raise InvalidReply("回复的 ToUserName 不是发消息的用户")
    return _reply_of(root)


def _reply_of(root: Element) -> PassiveReply:
    msgtype = (root.findtext("MsgType") or "").strip()
    if msgtype == "text":
        return PassiveReply("text", {"content": root.findtext("Content") or ""})
    if msgtype == "news":
        articles = [
            {
                "title": item.findtext("Title") or "",
                "description": item.findtext("Description") or "",
                "picurl": item.findtext("PicUrl") or "",
                "url": item.findtext("Url") or "",
            }
            for item in root.iterfind("Articles/item")
        ]
        if not articles:
            raise InvalidReply("图文回复没有文章")
        return PassiveReply("news", {"articles": articles})
    if msgtype in _MEDIA_REPLIES:
        title = root.findtext(f"{_MEDIA_REPLIES[msgtype]}/Title") or ""
        return PassiveReply(msgtype, {"title": title} if title else {})
    if msgtype == "transfer_customer_service":
        return PassiveReply(msgtype, {})
    raise InvalidReply(f"不支持的回复类型 {msgtype or '（空）'}")


@dataclass(frozen=True)
class Outcome:
    """What became of a callback: how many attempts, whether a valid answer came (a reply, or
    `success` for none), and why attempts failed."""

    attempts: int
    answered: bool
    reply: PassiveReply | None = None
    failures: tuple[str, ...] = ()


async def post_callback(
    url: str, request: SignedRequest, *, to_user: str, timeout: float, attempts: int
) -> Outcome:
    """Post one callback as WeChat does: each attempt gets `timeout` seconds; a timeout, a
    connection error or a status other than 200 is retried (the same message each time)."""
    failures: list[str] = []
    headers = {"Content-Type": "text/xml; charset=utf-8", "User-Agent": "Mozilla/4.0"}
    # trust_env=False: a developer's HTTP proxy settings must not capture calls to localhost.
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
        for attempt in range(1, attempts + 1):
            try:
                async with asyncio.timeout(timeout):
                    response = await client.post(
                        url, params=request.params, content=request.body, headers=headers
                    )
            except (TimeoutError, httpx.TimeoutException):
                failures.append(f"第 {attempt} 次：{timeout:g} 秒内没有回复")
                continue
            except httpx.HTTPError as exc:
                failures.append(f"第 {attempt} 次：连接失败（{type(exc).__name__}）")
                continue
            if response.status_code != 200:
                failures.append(f"第 {attempt} 次：HTTP {response.status_code}")
                continue
            try:
                reply = read_reply(
                    response.content,
                    to_user=to_user,
                    crypt=request.crypt,
                    encrypted_only=request.encrypted_reply_only,
                )
            except InvalidReply as exc:
                # A 200 with an unusable body is not retried: WeChat shows the apology at once.
                failures.append(f"第 {attempt} 次：{exc}")
                return Outcome(attempt, answered=False, failures=tuple(failures))
            return Outcome(attempt, answered=True, reply=reply, failures=tuple(failures))
    return Outcome(attempts, answered=False, failures=tuple(failures))


async def converse(
    state: SandboxState,
    account: Account,
    citizen: DemoCitizen,
    callback: Callback,
    *,
    shows_answer: bool = True,
) -> list[ChatEntry]:
    """Deliver the callback to the gateway and record the reply (or WeChat's apology).

    `shows_answer` is False for events whose answer the citizen never sees (unsubscribe).
    """
    # Real time, not the sandbox's shiftable clock: the gateway checks freshness against its own.
    request = signed_request(
        account, callback, timestamp=int(time.time()), nonce=str(secrets.randbelow(10**10))
    )
    settings = state.settings
    outcome = await post_callback(
        f"{settings.gateway_url.rstrip('/')}/wechat/{account.code}",
        request,
        to_user=callback.from_user,
        timeout=settings.callback_timeout_seconds,
        attempts=settings.callback_attempts,
    )
    if not shows_answer:
        return []
    # After the await: the conversation is read and appended to without awaiting in between.
    if outcome.reply is not None:
        reply = outcome.reply
        return [state.record(account, citizen, "to_citizen", "reply", reply.msgtype, reply.content)]
    if not outcome.answered:
        notice = {"content": FAILURE_NOTICE, "reason": "；".join(outcome.failures)}
        return [state.record(account, citizen, "to_citizen", "failure", "notice", notice)]
    return []
