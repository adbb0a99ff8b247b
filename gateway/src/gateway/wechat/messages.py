"""Inbound callback bodies: a safe XML parse, then typed messages (text, event, anything else).

Parsing is two steps so that safe-mode decryption (a later issue) fits between them: the outer
envelope of a safe-mode body carries only `ToUserName` and `Encrypt`, not a message.
"""

from __future__ import annotations

from typing import Annotated
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class MalformedMessage(Exception):
    """The body is not an acceptable WeChat callback (bad XML, DOCTYPE/entities, missing fields)."""


def parse_xml(body: bytes) -> dict[str, str]:
    """The `<xml>` root's leaf elements as {tag: text}; DOCTYPE, entities and bad XML refused."""
    try:
        # forbid_dtd refuses any DOCTYPE, which also rules out entity expansion and XXE.
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise MalformedMessage(f"unacceptable XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise MalformedMessage(f"unexpected root element {root.tag!r}")
    fields: dict[str, str] = {}
    for child in root:
        # Nested elements (ScanCodeInfo, SendPicsInfo, …) are left to the handlers that need them.
        if len(child) == 0 and child.tag not in fields:
            fields[child.tag] = child.text or ""
    return fields


NonEmpty = Annotated[str, Field(min_length=1)]


class InboundMessage(BaseModel):
    """Fields common to every callback; `raw` keeps every leaf field for type-specific use."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    to_user_name: NonEmpty = Field(alias="ToUserName", description="the account's original id")
    from_user_name: NonEmpty = Field(alias="FromUserName", description="the sender's openid")
    create_time: int = Field(alias="CreateTime")
    msg_type: NonEmpty = Field(alias="MsgType")
    msg_id: int | None = Field(default=None, alias="MsgId", description="absent on events")
    raw: dict[str, str] = Field(default_factory=dict)


class TextMessage(InboundMessage):
    """A text message typed by the follower."""

    content: str = Field(default="", alias="Content")


class EventMessage(InboundMessage):
    """An event: subscribe, unsubscribe, CLICK, VIEW, SCAN, LOCATION, …"""

    event: str = Field(default="", alias="Event")
    event_key: str = Field(default="", alias="EventKey")


class GenericMessage(InboundMessage):
    """Any other message type (image, voice, location, …); tolerated, never rejected."""


_BY_TYPE: dict[str, type[InboundMessage]] = {"text": TextMessage, "event": EventMessage}


def to_message(fields: dict[str, str]) -> InboundMessage:
    """The typed message for the fields of a plaintext callback body."""
    model = _BY_TYPE.get(fields.get("MsgType", ""), GenericMessage)
    try:
        return model.model_validate({**fields, "raw": fields})
    except ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise MalformedMessage(f"invalid message fields: {names}") from exc
