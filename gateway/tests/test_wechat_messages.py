"""Safe parsing and typing of inbound XML, and passive reply XML."""

import pytest
from defusedxml.ElementTree import fromstring

from gateway.wechat.messages import (
    EventMessage,
    GenericMessage,
    MalformedMessage,
    TextMessage,
    parse_xml,
    to_message,
)
from gateway.wechat.replies import TextReply, cdata, text_reply_xml

TEXT_XML = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[今天天气]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>"
).encode()


def parse(body: bytes | str):
    return to_message(parse_xml(body.encode() if isinstance(body, str) else body))


def test_text_message() -> None:
    message = parse(TEXT_XML)
    assert isinstance(message, TextMessage)
    assert message.to_user_name == "gh_10f6c3c3ac5a"
    assert message.from_user_name == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message.create_time == 1409735668
    assert message.msg_type == "text"
    assert message.msg_id == 6054768590064713728
    assert message.content == "今天天气"


def test_event_message() -> None:
    message = parse(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o_1</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event>"
        "<EventKey><![CDATA[qrscene_123]]></EventKey></xml>"
    )
    assert isinstance(message, EventMessage)
    assert (message.event, message.event_key, message.msg_id) == ("subscribe", "qrscene_123", None)


def test_unknown_type_is_tolerated_with_its_fields_kept() -> None:
    message = parse(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o_1</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>hologram</MsgType><Depth>3</Depth>"
        "<Nested><Inner>x</Inner></Nested><MsgId>9</MsgId></xml>"
    )
    assert isinstance(message, GenericMessage)
    assert message.msg_type == "hologram"
    assert message.raw["Depth"] == "3"
    assert "Nested" not in message.raw


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not xml",
        "<xml><ToUserName>gh_1</ToUserName>",
        "<root><MsgType>text</MsgType></root>",
        # Missing sender, then a CreateTime that is not a number.
        "<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
        "<CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(MalformedMessage):
        parse(body)


@pytest.mark.parametrize(
    "body",
    [
        # XXE: an external entity reading a local file.
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<xml><Content>&xxe;</Content></xml>",
        # Entity expansion ("billion laughs").
        '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<xml><Content>&b;</Content></xml>",
        # Any DOCTYPE at all, even without entities.
        "<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>",
    ],
)
def test_doctype_and_entities_are_refused(body: str) -> None:
    with pytest.raises(MalformedMessage):
        parse_xml(body.encode())


def test_cdata_splits_the_terminator() -> None:
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert cdata("]]>]]>") == "<![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]>"


def test_text_reply_swaps_users_and_round_trips_tricky_text() -> None:
    message = parse(TEXT_XML)
    content = "温度<25℃ & ]]> 结束"
    xml = text_reply_xml(message, content, create_time=1700000000)
    root = fromstring(xml, forbid_dtd=True)
    assert root.findtext("ToUserName") == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert root.findtext("FromUserName") == "gh_10f6c3c3ac5a"
    assert root.findtext("CreateTime") == "1700000000"
    assert root.findtext("MsgType") == "text"
    assert root.findtext("Content") == content


def test_text_reply_object_renders_the_same_xml() -> None:
    message = parse(TEXT_XML)
    assert TextReply("好").render(message, create_time=5) == text_reply_xml(
        message, "好", create_time=5
    )
