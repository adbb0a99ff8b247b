"""Inbound callback bodies: a safe XML parse, then typed messages and events.

Parsing is two steps so that safe-mode decryption fits between them: the outer envelope of a
safe-mode body carries only `ToUserName` and `Encrypt`, not a message. Every message and event
type of the reference has a model; unknown types are tolerated (GenericMessage, or EventMessage
for an unknown event) and logged, never refused.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

log = logging.getLogger("gateway.wechat")

# WeChat nests at most 4 levels under <xml> (SendPicsInfo/PicList/item/PicMd5Sum); much deeper
# is not WeChat, and bounding it bounds the recursion below.
MAX_DEPTH = 8

# A body's fields: leaf text as str, nested elements as dicts, repeated nested elements as lists.
Fields = dict[str, Any]


class MalformedMessage(Exception):
    """The body is not an acceptable WeChat callback (bad XML, DOCTYPE/entities, missing fields)."""


def parse_xml(body: bytes) -> Fields:
    """The `<xml>` root's children as {tag: text or nested fields}; DOCTYPE, entities refused."""
    try:
        # forbid_dtd refuses any DOCTYPE, which also rules out entity expansion and XXE.
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise MalformedMessage(f"unacceptable XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise MalformedMessage(f"unexpected root element {root.tag!r}")
    fields: Fields = {}
    for child in root:
        # A message has each field once; should one repeat, the first is the one used.
        if child.tag not in fields:
            fields[child.tag] = _value(child, depth=1)
    return fields


def _value(element: Element, *, depth: int) -> Any:
    if len(element) == 0:
        return element.text or ""
    if depth >= MAX_DEPTH:
        raise MalformedMessage("XML nested too deeply")
    children: Fields = {}
    for child in element:
        value = _value(child, depth=depth + 1)
        if child.tag not in children:
            children[child.tag] = value
        elif isinstance(children[child.tag], list):
            children[child.tag].append(value)
        else:
            # Repeated elements (the <item>s of a PicList) become a list.
            children[child.tag] = [children[child.tag], value]
    return children


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _items(value: Any) -> Any:
    """The <item>s of a list element (a PicList), whether it held one, several or none."""
    if isinstance(value, dict):
        value = value.get("item")
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    return value if isinstance(value, list) else [value]


NonEmpty = Annotated[str, Field(min_length=1)]
# WeChat sends numbers as text, sometimes empty: empty means absent.
OptionalInt = Annotated[int | None, BeforeValidator(_blank_to_none)]
OptionalFloat = Annotated[float | None, BeforeValidator(_blank_to_none)]
_PartT = TypeVar("_PartT", bound=BaseModel)
# A nested element WeChat may send empty (`<ScanCodeInfo></ScanCodeInfo>`): empty means absent.
OptionalPart = Annotated[_PartT | None, BeforeValidator(_blank_to_none)]


class _Part(BaseModel):
    """Fields of a body or of a nested element: read-only, by WeChat's names or ours."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class _Location(_Part):
    """A location chosen in the chat or through a location button (Location_X is the latitude)."""

    latitude: OptionalFloat = Field(default=None, alias="Location_X")
    longitude: OptionalFloat = Field(default=None, alias="Location_Y")
    scale: OptionalInt = Field(default=None, alias="Scale")
    label: str = Field(default="", alias="Label")


class InboundMessage(_Part):
    """Fields common to every callback; `raw` keeps every leaf field for type-specific use."""

    to_user_name: NonEmpty = Field(alias="ToUserName", description="the account's original id")
    from_user_name: NonEmpty = Field(alias="FromUserName", description="the sender's openid")
    create_time: int = Field(alias="CreateTime")
    msg_type: NonEmpty = Field(alias="MsgType")
    msg_id: int | None = Field(default=None, alias="MsgId", description="absent on events")
    raw: dict[str, str] = Field(default_factory=dict)


# -- messages ------------------------------------------------------------------------------------


class TextMessage(InboundMessage):
    """A text message typed by the follower."""

    content: str = Field(default="", alias="Content")


class ImageMessage(InboundMessage):
    """A picture."""

    pic_url: str = Field(default="", alias="PicUrl")
    media_id: str = Field(default="", alias="MediaId")


class VoiceMessage(InboundMessage):
    """A voice message; `recognition` is WeChat's transcript when recognition is enabled."""

    media_id: str = Field(default="", alias="MediaId")
    format: str = Field(default="", alias="Format")
    recognition: str = Field(default="", alias="Recognition")


class VideoMessage(InboundMessage):
    """A video."""

    media_id: str = Field(default="", alias="MediaId")
    thumb_media_id: str = Field(default="", alias="ThumbMediaId")


class ShortVideoMessage(VideoMessage):
    """A short video (小视频); handled wherever videos are."""


class LocationMessage(InboundMessage, _Location):
    """A location the follower shared in the chat."""


class LinkMessage(InboundMessage):
    """A link shared in the chat."""

    title: str = Field(default="", alias="Title")
    description: str = Field(default="", alias="Description")
    url: str = Field(default="", alias="Url")


class GenericMessage(InboundMessage):
    """A message type this gateway does not know; tolerated, never rejected."""


# -- events --------------------------------------------------------------------------------------


class EventMessage(InboundMessage):
    """An event; this class itself stands for event types this gateway does not know."""

    event: str = Field(default="", alias="Event")
    event_key: str = Field(default="", alias="EventKey")


QR_SCENE_PREFIX = "qrscene_"


class _QrCodeEvent(EventMessage):
    """An event that may come from a parametric QR code, whose ticket it then carries."""

    ticket: str = Field(default="", alias="Ticket")


class SubscribeEvent(_QrCodeEvent):
    """A follow; through a parametric QR code when EventKey is `qrscene_<scene>`."""

    @property
    def scene(self) -> str | None:
        """The QR code's scene when the follow came from one."""
        if self.event_key.startswith(QR_SCENE_PREFIX):
            return self.event_key.removeprefix(QR_SCENE_PREFIX)
        return None


class UnsubscribeEvent(EventMessage):
    """An unfollow."""


class ScanEvent(_QrCodeEvent):
    """A follower scanned a parametric QR code; EventKey is its scene."""


class LocationEvent(EventMessage):
    """The location WeChat reports for a follower who allowed it."""

    latitude: OptionalFloat = Field(default=None, alias="Latitude")
    longitude: OptionalFloat = Field(default=None, alias="Longitude")
    precision: OptionalFloat = Field(default=None, alias="Precision")


class ClickEvent(EventMessage):
    """A click on a menu button; EventKey is the button's key."""


class _MenuOpenEvent(EventMessage):
    """A menu button opened something; MenuId is the menu (personalised menus differ)."""

    menu_id: str = Field(default="", alias="MenuId")


class ViewEvent(_MenuOpenEvent):
    """A menu button opened a web page; EventKey is its URL."""


class ViewMiniprogramEvent(_MenuOpenEvent):
    """A menu button opened a mini program; EventKey is its page path."""


class ScanCodeInfo(_Part):
    """What a scan button scanned."""

    scan_type: str = Field(default="", alias="ScanType")
    scan_result: str = Field(default="", alias="ScanResult")


class ScanCodeEvent(EventMessage):
    """A scan button (scancode_push or scancode_waitmsg) and what it scanned."""

    scan_code_info: OptionalPart[ScanCodeInfo] = Field(default=None, alias="ScanCodeInfo")


class PicItem(_Part):
    """One picture sent through a picture button."""

    pic_md5_sum: str = Field(default="", alias="PicMd5Sum")


class SendPicsInfo(_Part):
    """The pictures sent through a picture button."""

    count: OptionalInt = Field(default=None, alias="Count")
    pic_list: Annotated[list[PicItem], BeforeValidator(_items)] = Field(
        default_factory=list, alias="PicList"
    )


class PicEvent(EventMessage):
    """A picture button (pic_sysphoto, pic_photo_or_album or pic_weixin) and what was sent."""

    send_pics_info: OptionalPart[SendPicsInfo] = Field(default=None, alias="SendPicsInfo")


class SendLocationInfo(_Location):
    """The location chosen through a location button."""

    poiname: str = Field(default="", alias="Poiname")


class LocationSelectEvent(EventMessage):
    """A location button and the location chosen."""

    send_location_info: OptionalPart[SendLocationInfo] = Field(
        default=None, alias="SendLocationInfo"
    )


class _JobFinishEvent(EventMessage):
    """The outcome of a send job; `sent_msg_id` is the id the send call returned."""

    sent_msg_id: OptionalInt = Field(default=None, alias="MsgID")
    status: str = Field(default="", alias="Status")


class TemplateSendJobFinishEvent(_JobFinishEvent):
    """The outcome of a template message (the send call's `msgid`)."""


class MassSendJobFinishEvent(_JobFinishEvent):
    """The outcome of a mass send (the send call's `msg_id`)."""

    total_count: OptionalInt = Field(default=None, alias="TotalCount")
    filter_count: OptionalInt = Field(default=None, alias="FilterCount")
    sent_count: OptionalInt = Field(default=None, alias="SentCount")
    error_count: OptionalInt = Field(default=None, alias="ErrorCount")


MESSAGE_TYPES: dict[str, type[InboundMessage]] = {
    "text": TextMessage,
    "image": ImageMessage,
    "voice": VoiceMessage,
    "video": VideoMessage,
    "shortvideo": ShortVideoMessage,
    "location": LocationMessage,
    "link": LinkMessage,
}
# Keys in lower case: WeChat spells events both ways (subscribe, SCAN, CLICK, view_miniprogram).
EVENT_TYPES: dict[str, type[EventMessage]] = {
    "subscribe": SubscribeEvent,
    "unsubscribe": UnsubscribeEvent,
    "scan": ScanEvent,
    "location": LocationEvent,
    "click": ClickEvent,
    "view": ViewEvent,
    "view_miniprogram": ViewMiniprogramEvent,
    "scancode_push": ScanCodeEvent,
    "scancode_waitmsg": ScanCodeEvent,
    "pic_sysphoto": PicEvent,
    "pic_photo_or_album": PicEvent,
    "pic_weixin": PicEvent,
    "location_select": LocationSelectEvent,
    "templatesendjobfinish": TemplateSendJobFinishEvent,
    "masssendjobfinish": MassSendJobFinishEvent,
}


def _text_of(fields: Fields, name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def to_message(fields: Fields) -> InboundMessage:
    """The typed message or event for the fields of a (decrypted) callback body."""
    msg_type = _text_of(fields, "MsgType")
    model: type[InboundMessage]
    if msg_type == "event":
        model = EVENT_TYPES.get(_text_of(fields, "Event").lower(), EventMessage)
        known = model is not EventMessage
    else:
        model = MESSAGE_TYPES.get(msg_type, GenericMessage)
        known = model is not GenericMessage
    leaves = {name: value for name, value in fields.items() if isinstance(value, str)}
    try:
        message = model.model_validate({**fields, "raw": leaves})
    except ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise MalformedMessage(f"invalid message fields: {names}") from exc
    if not known:
        # Logged so that a new WeChat type gets noticed; the sender stays out of the log.
        log.info(
            "tolerating a message of an unknown type",
            extra={"msg_type": msg_type[:64], "event": _text_of(fields, "Event")[:64]},
        )
    return message
