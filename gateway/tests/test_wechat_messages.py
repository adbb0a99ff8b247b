"""Safe parsing and typing of inbound XML, and passive reply XML."""

import logging

import pytest
from defusedxml.ElementTree import fromstring

from gateway.wechat.messages import (
    ClickEvent,
    EventMessage,
    GenericMessage,
    ImageMessage,
    LinkMessage,
    LocationEvent,
    LocationMessage,
    LocationSelectEvent,
    MalformedMessage,
    MassSendJobFinishEvent,
    PicEvent,
    ScanCodeEvent,
    ScanEvent,
    ShortVideoMessage,
    SubscribeEvent,
    TemplateSendJobFinishEvent,
    TextMessage,
    UnsubscribeEvent,
    VideoMessage,
    ViewEvent,
    ViewMiniprogramEvent,
    VoiceMessage,
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


# -- every message and event type of the reference -----------------------------------------------

HEAD = (
    "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime>"
)


def typed(msg_type: str, body: str):
    return parse(f"{HEAD}<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")


def event(name: str, body: str = ""):
    return typed("event", f"<Event><![CDATA[{name}]]></Event>{body}")


def test_image_message() -> None:
    message = typed(
        "image", "<PicUrl><![CDATA[http://p/1.jpg]]></PicUrl><MediaId>m1</MediaId><MsgId>7</MsgId>"
    )
    assert isinstance(message, ImageMessage)
    assert (message.pic_url, message.media_id, message.msg_id) == ("http://p/1.jpg", "m1", 7)


def test_voice_message_with_recognition() -> None:
    message = typed(
        "voice",
        "<MediaId>m2</MediaId><Format>amr</Format><Recognition><![CDATA[天气]]></Recognition>"
        "<MsgId>8</MsgId>",
    )
    assert isinstance(message, VoiceMessage)
    assert (message.media_id, message.format, message.recognition) == ("m2", "amr", "天气")


@pytest.mark.parametrize("msg_type", ["video", "shortvideo"])
def test_video_and_short_video(msg_type: str) -> None:
    message = typed(
        msg_type, "<MediaId>m3</MediaId><ThumbMediaId>t3</ThumbMediaId><MsgId>9</MsgId>"
    )
    assert isinstance(message, VideoMessage)
    assert isinstance(message, ShortVideoMessage) == (msg_type == "shortvideo")
    assert (message.media_id, message.thumb_media_id) == ("m3", "t3")


def test_location_message() -> None:
    message = typed(
        "location",
        "<Location_X>23.020673</Location_X><Location_Y>113.751765</Location_Y><Scale>20</Scale>"
        "<Label><![CDATA[东莞市政府]]></Label><MsgId>10</MsgId>",
    )
    assert isinstance(message, LocationMessage)
    assert (message.latitude, message.longitude) == (23.020673, 113.751765)
    assert (message.scale, message.label) == (20, "东莞市政府")


def test_link_message() -> None:
    message = typed(
        "link",
        "<Title><![CDATA[公告]]></Title><Description><![CDATA[说明]]></Description>"
        "<Url><![CDATA[https://dg.gov.cn/a]]></Url><MsgId>11</MsgId>",
    )
    assert isinstance(message, LinkMessage)
    assert (message.title, message.description, message.url) == (
        "公告",
        "说明",
        "https://dg.gov.cn/a",
    )


def test_subscribe_plain_and_from_a_qr_code() -> None:
    plain = event("subscribe")
    assert isinstance(plain, SubscribeEvent) and plain.scene is None
    scanned = event(
        "subscribe", "<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket>TICKET</Ticket>"
    )
    assert isinstance(scanned, SubscribeEvent)
    assert (scanned.scene, scanned.ticket, scanned.event_key) == (
        "123123",
        "TICKET",
        "qrscene_123123",
    )


def test_unsubscribe_scan_click_view() -> None:
    assert isinstance(event("unsubscribe"), UnsubscribeEvent)
    scan = event("SCAN", "<EventKey>SCENE_VALUE</EventKey><Ticket>T</Ticket>")
    assert isinstance(scan, ScanEvent) and (scan.event_key, scan.ticket) == ("SCENE_VALUE", "T")
    click = event("CLICK", "<EventKey><![CDATA[WEATHER_TODAY]]></EventKey>")
    assert isinstance(click, ClickEvent) and click.event_key == "WEATHER_TODAY"
    view = event("VIEW", "<EventKey>https://dg.gov.cn/</EventKey><MenuId>5</MenuId>")
    assert isinstance(view, ViewEvent) and (view.event_key, view.menu_id) == (
        "https://dg.gov.cn/",
        "5",
    )
    mini = event("view_miniprogram", "<EventKey>pages/index</EventKey><MenuId>6</MenuId>")
    assert isinstance(mini, ViewMiniprogramEvent) and mini.event_key == "pages/index"


def test_location_event() -> None:
    message = event(
        "LOCATION",
        "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude>"
        "<Precision>119.385040</Precision>",
    )
    assert isinstance(message, LocationEvent)
    assert (message.latitude, message.longitude, message.precision) == (
        23.137466,
        113.352425,
        119.38504,
    )


@pytest.mark.parametrize("name", ["scancode_push", "scancode_waitmsg"])
def test_scan_code_events_with_their_scan(name: str) -> None:
    message = event(
        name,
        "<EventKey><![CDATA[rselfmenu_0_1]]></EventKey><ScanCodeInfo>"
        "<ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult>"
        "</ScanCodeInfo>",
    )
    assert isinstance(message, ScanCodeEvent)
    assert message.event == name
    assert message.scan_code_info is not None
    assert (message.scan_code_info.scan_type, message.scan_code_info.scan_result) == ("qrcode", "1")


@pytest.mark.parametrize("name", ["pic_sysphoto", "pic_photo_or_album", "pic_weixin"])
def test_picture_events_with_one_or_several_pictures(name: str) -> None:
    one = event(
        name,
        "<EventKey>k</EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>"
        "<![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>",
    )
    assert isinstance(one, PicEvent) and one.send_pics_info is not None
    assert one.send_pics_info.count == 1
    assert [p.pic_md5_sum for p in one.send_pics_info.pic_list] == [
        "1b5f7c23b5bf75682a53e7b6d163e185"
    ]
    several = event(
        name,
        "<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item>"
        "<item><PicMd5Sum>b</PicMd5Sum></item></PicList></SendPicsInfo>",
    )
    assert isinstance(several, PicEvent) and several.send_pics_info is not None
    assert [p.pic_md5_sum for p in several.send_pics_info.pic_list] == ["a", "b"]
    empty = event(name, "<SendPicsInfo><Count>0</Count><PicList></PicList></SendPicsInfo>")
    assert isinstance(empty, PicEvent) and empty.send_pics_info is not None
    assert empty.send_pics_info.pic_list == []


def test_location_select_event() -> None:
    message = event(
        "location_select",
        "<EventKey>rselfmenu_2_0</EventKey><SendLocationInfo><Location_X><![CDATA[23]]>"
        "</Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale>"
        "<Label><![CDATA[ 广州市海珠区]]></Label><Poiname><![CDATA[]]></Poiname>"
        "</SendLocationInfo>",
    )
    assert isinstance(message, LocationSelectEvent)
    info = message.send_location_info
    assert info is not None
    assert (info.latitude, info.longitude, info.scale) == (23.0, 113.0, 15)
    assert (info.label, info.poiname) == (" 广州市海珠区", "")


def test_template_send_job_finish() -> None:
    message = event("TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID><Status>success</Status>")
    assert isinstance(message, TemplateSendJobFinishEvent)
    assert (message.sent_msg_id, message.status, message.msg_id) == (200163836, "success", None)


def test_mass_send_job_finish_with_its_counts() -> None:
    message = event(
        "MASSSENDJOBFINISH",
        "<MsgID>1988</MsgID><Status><![CDATA[sendsuccess]]></Status><TotalCount>100</TotalCount>"
        "<FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount>"
        "<CopyrightCheckResult><Count>0</Count><ResultList/><CheckState>1</CheckState>"
        "</CopyrightCheckResult>",
    )
    assert isinstance(message, MassSendJobFinishEvent)
    assert (message.sent_msg_id, message.status) == (1988, "sendsuccess")
    counts = (message.total_count, message.filter_count, message.sent_count, message.error_count)
    assert counts == (100, 80, 75, 5)


def test_unknown_event_is_tolerated_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.wechat"):
        message = event("kf_create_session", "<KfAccount>x@y</KfAccount>")
    assert type(message) is EventMessage
    assert message.event == "kf_create_session" and message.raw["KfAccount"] == "x@y"
    [record] = [r for r in caplog.records if "unknown type" in r.getMessage()]
    assert getattr(record, "event", None) == "kf_create_session"
    assert "o_1" not in record.getMessage() and "o_1" not in str(vars(record))


def test_unknown_message_type_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.wechat"):
        message = typed("miniprogrampage", "<Title>t</Title><MsgId>1</MsgId>")
    assert type(message) is GenericMessage
    assert any(getattr(r, "msg_type", None) == "miniprogrampage" for r in caplog.records)


def test_known_types_are_not_logged_as_unknown(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.wechat"):
        event("CLICK", "<EventKey>k</EventKey>")
        parse(TEXT_XML)
    assert not caplog.records


def test_nested_elements_are_parsed_and_kept_out_of_raw() -> None:
    fields = parse_xml(
        b"<xml><A>1</A><B><C>2</C><D><E>3</E></D><F>4</F><F>5</F></B><A>ignored</A></xml>"
    )
    assert fields == {"A": "1", "B": {"C": "2", "D": {"E": "3"}, "F": ["4", "5"]}}


def test_absurdly_deep_xml_is_refused() -> None:
    deep = "<xml>" + "<a>" * 50 + "x" + "</a>" * 50 + "</xml>"
    with pytest.raises(MalformedMessage, match="nested"):
        parse_xml(deep.encode())


@pytest.mark.parametrize(
    "body",
    [
        "<MsgType>location</MsgType><Location_X>north</Location_X><MsgId>1</MsgId>",
        "<MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><TotalCount>many</TotalCount>",
        "<MsgType>event</MsgType><Event>scancode_push</Event><ScanCodeInfo>text</ScanCodeInfo>",
        "<MsgType><Nested>text</Nested></MsgType>",
    ],
    ids=["location-x", "total-count", "scan-code-info", "nested-msgtype"],
)
def test_known_types_with_unusable_fields_are_refused(body: str) -> None:
    with pytest.raises(MalformedMessage):
        parse(f"{HEAD}{body}</xml>")


def test_empty_numbers_mean_absent() -> None:
    message = typed(
        "location", "<Location_X></Location_X><Scale><![CDATA[]]></Scale><MsgId>1</MsgId>"
    )
    assert isinstance(message, LocationMessage)
    assert (message.latitude, message.scale) == (None, None)
