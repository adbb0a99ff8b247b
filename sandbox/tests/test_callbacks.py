"""The callbacks the sandbox sends as WeChat: XML, signatures, encryption, and reading replies.

wechatpy (an independent implementation, test-only) checks the encrypted bodies too.
"""

from __future__ import annotations

import re

import pytest
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import WeChatCrypto

from sandbox import callbacks
from sandbox.callbacks import InvalidReply, PassiveReply, read_reply
from sandbox.state import Account
from wechat.crypto import MessageCrypt, sign

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oCitizen0000000000000000000"
NOW = 1_700_000_000


def account(mode: str = "plain") -> Account:
    return Account(
        code="dgtq",
        appid="wxtest0000000dgtq",
        app_secret="s",
        name="东莞天气",
        kind="subscription",
        token="t-dgtq",
        encoding_aes_key=KEY,
        mode=mode,  # type: ignore[arg-type]
    )


def crypt() -> MessageCrypt:
    return MessageCrypt("t-dgtq", KEY, "wxtest0000000dgtq")


def test_the_original_id_is_stable_and_shaped_like_wechats() -> None:
    original = account().original_id
    assert re.fullmatch(r"gh_[0-9a-f]{12}", original)
    assert original == account("safe").original_id
    other = Account(
        code="dgjj", appid="wxtest0000000dgjj", token="t-dgjj", name="东莞交警", kind="service"
    )
    assert other.original_id != original


def test_text_message_xml() -> None:
    message = callbacks.text_message(account(), OPENID, "天气 ]]> 大朗", create_time=NOW)
    root = fromstring(message.xml())
    assert root.findtext("ToUserName") == account().original_id
    assert root.findtext("FromUserName") == OPENID
    assert root.findtext("CreateTime") == str(NOW)
    assert root.findtext("MsgType") == "text"
    # A `]]>` in the text cannot end the CDATA section early.
    assert root.findtext("Content") == "天气 ]]> 大朗"
    assert int(root.findtext("MsgId") or 0) >= 10**18
    assert [child.tag for child in root][-1] == "MsgId"


def test_location_and_events_xml() -> None:
    location = callbacks.location_message(
        account(),
        OPENID,
        latitude=22.9468,
        longitude=113.9463,
        scale=15,
        label="大朗镇",
        create_time=NOW,
    )
    root = fromstring(location.xml())
    assert root.findtext("MsgType") == "location"
    assert (root.findtext("Location_X"), root.findtext("Location_Y")) == ("22.9468", "113.9463")
    assert (root.findtext("Scale"), root.findtext("Label")) == ("15", "大朗镇")
    assert root.findtext("MsgId")

    click = fromstring(callbacks.event(account(), OPENID, "CLICK", key="K1", create_time=NOW).xml())
    assert (click.findtext("MsgType"), click.findtext("Event")) == ("event", "CLICK")
    assert click.findtext("EventKey") == "K1" and click.find("MsgId") is None

    subscribe = fromstring(callbacks.event(account(), OPENID, "subscribe", create_time=NOW).xml())
    assert subscribe.findtext("Event") == "subscribe" and subscribe.find("EventKey") is None


def test_plain_mode_is_signed_only() -> None:
    message = callbacks.text_message(account(), OPENID, "你好", create_time=NOW)
    request = callbacks.signed_request(account(), message, timestamp=NOW, nonce="123")
    assert request.params == {
        "signature": sign("t-dgtq", str(NOW), "123"),
        "timestamp": str(NOW),
        "nonce": "123",
        "openid": OPENID,
    }
    assert request.body == message.xml().encode() and request.crypt is None


def test_safe_mode_sends_only_the_envelope() -> None:
    message = callbacks.text_message(account("safe"), OPENID, "你好", create_time=NOW)
    request = callbacks.signed_request(account("safe"), message, timestamp=NOW, nonce="123")
    params = request.params
    assert params["encrypt_type"] == "aes"
    assert params["signature"] == sign("t-dgtq", str(NOW), "123")
    envelope = fromstring(request.body)
    assert [child.tag for child in envelope] == ["ToUserName", "Encrypt"]
    assert envelope.findtext("ToUserName") == account().original_id
    encrypted = envelope.findtext("Encrypt") or ""
    assert params["msg_signature"] == sign("t-dgtq", str(NOW), "123", encrypted)
    plaintext = crypt().decrypt_message(
        encrypted, msg_signature=params["msg_signature"], timestamp=str(NOW), nonce="123"
    )
    assert plaintext == message.xml()
    # An independent implementation reads it too.
    peer = WeChatCrypto("t-dgtq", KEY, "wxtest0000000dgtq")
    assert peer.decrypt_message(request.body, params["msg_signature"], str(NOW), "123") == (
        message.xml()
    )


def test_compatible_mode_sends_plaintext_and_encrypt() -> None:
    message = callbacks.event(account("compatible"), OPENID, "CLICK", key="K1", create_time=NOW)
    request = callbacks.signed_request(account("compatible"), message, timestamp=NOW, nonce="9")
    body = fromstring(request.body)
    assert body.findtext("Event") == "CLICK" and body.findtext("EventKey") == "K1"
    encrypted = body.findtext("Encrypt") or ""
    assert request.params["encrypt_type"] == "aes"
    assert request.params["msg_signature"] == sign("t-dgtq", str(NOW), "9", encrypted)
    assert crypt().decrypt(encrypted) == message.xml()
    assert not request.encrypted_reply_only


def text_xml(content: str, to_user: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName>"
        "<FromUserName><![CDATA[gh_0123456789ab]]></FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content></xml>"
    )


NEWS_XML = (
    f"<xml><ToUserName><![CDATA[{OPENID}]]></ToUserName>"
    "<FromUserName><![CDATA[gh_0123456789ab]]></FromUserName><CreateTime>1</CreateTime>"
    "<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>"
    "<item><Title><![CDATA[今日天气]]></Title><Description><![CDATA[多云 24~31℃]]></Description>"
    "<PicUrl><![CDATA[https://img.example.cn/1.png]]></PicUrl>"
    "<Url><![CDATA[https://h5.example.cn/1]]></Url></item>"
    "<item><Title><![CDATA[五天预报]]></Title><Description><![CDATA[]]></Description>"
    "<PicUrl><![CDATA[]]></PicUrl><Url><![CDATA[https://h5.example.cn/2]]></Url></item>"
    "</Articles></xml>"
)


def envelope(xml: str, *, signature: str | None = None) -> bytes:
    encrypted = crypt().encrypt(xml)
    signature = signature or crypt().signature("1700000001", "77", encrypted)
    return (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
        "<TimeStamp>1700000001</TimeStamp><Nonce><![CDATA[77]]></Nonce></xml>"
    ).encode()


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
def test_text_and_news_replies_in_every_mode(mode: str) -> None:
    box = crypt() if mode != "plain" else None
    wrap = envelope if mode != "plain" else str.encode
    safe = mode == "safe"
    text = read_reply(
        wrap(text_xml("第一行\n第二行")), to_user=OPENID, crypt=box, encrypted_only=safe
    )
    assert text == PassiveReply("text", {"content": "第一行\n第二行"})
    news = read_reply(wrap(NEWS_XML), to_user=OPENID, crypt=box, encrypted_only=safe)
    assert news is not None and news.msgtype == "news"
    assert news.content["articles"] == [
        {
            "title": "今日天气",
            "description": "多云 24~31℃",
            "picurl": "https://img.example.cn/1.png",
            "url": "https://h5.example.cn/1",
        },
        {"title": "五天预报", "description": "", "picurl": "", "url": "https://h5.example.cn/2"},
    ]


@pytest.mark.parametrize("body", [b"success", b"", b"  \n"])
def test_success_or_an_empty_body_is_no_reply(body: bytes) -> None:
    assert read_reply(body, to_user=OPENID, crypt=crypt(), encrypted_only=True) is None


def test_media_replies_become_placeholders() -> None:
    music = text_xml("x").replace(
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[x]]></Content>",
        "<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[莞香]]></Title></Music>",
    )
    assert read_reply(music.encode(), to_user=OPENID) == PassiveReply("music", {"title": "莞香"})


@pytest.mark.parametrize(
    ("body", "kwargs", "why"),
    [
        (envelope(text_xml("hi"), signature="0" * 40), {"crypt": crypt()}, "校验或解密失败"),
        (text_xml("hi").encode(), {"crypt": crypt(), "encrypted_only": True}, "明文"),
        (envelope(text_xml("hi")), {}, "明文模式"),
        (text_xml("hi", to_user="o-someone-else").encode(), {}, "ToUserName"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>', {}, "XML"),
        (b"<html>oops</html>", {}, "根元素"),
        (text_xml("hi").replace("text", "shake").encode(), {}, "不支持"),
    ],
    # Named, not derived from the bodies: the encrypted ones differ in every process, and
    # pytest-xdist refuses workers whose collected test ids differ.
    ids=[
        "bad-signature",
        "plain-in-safe-mode",
        "encrypted-in-plain-mode",
        "wrong-user",
        "entity",
        "not-xml",
        "unsupported-type",
    ],
)
def test_invalid_replies_are_refused(body: bytes, kwargs: dict, why: str) -> None:
    with pytest.raises(InvalidReply, match=why):
        read_reply(body, to_user=OPENID, **kwargs)
