"""Chat answers (DESIGN §7): each service answers the intents it owns; the gateway only renders.

The gateway routes a keyword or menu key of an account to an intent `<service>.<name>` and calls
that service:

- `GET /v1/internal/answers` -> `IntentCatalogue`: the intents the service serves, and whether
  an intent may need the chatting citizen (`citizen`: none | optional | required);
- `POST /v1/internal/answers/{name}` with an `AnswerRequest` -> an `Answer`.

Both take the gateway's service token (`Authorization: Bearer`, kind=service, caller gateway).
When the intent may need the citizen and the gateway identified them, the request also carries
the citizen's internal token in `X-Citizen-Authorization: Bearer <token>`; a service that needed
the citizen but got none answers `Answer(needs_citizen=True)`, and the gateway then tells the
citizen why it could not identify them (not bound to the platform, consent withdrawn, …). An
intent the service does not serve is a 404 problem; the gateway answers "即将上线" for it.

The service owns the wording, the masking and the formatting of its answers (within WeChat's
2048 bytes for a text); `Answer` is channel-neutral: the gateway renders it as a passive XML
reply or a customer-service message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from servicekit.deps import app_settings
from servicekit.errors import NotFound
from servicekit.identity import Identity, current_citizen, requires_caller, verify_token
from servicekit.settings import ServiceSettings

CITIZEN_HEADER = "X-Citizen-Authorization"
CitizenNeed = Literal["none", "optional", "required"]


class AnswerArticle(BaseModel):
    """One card of a news answer."""

    title: str = Field(max_length=128)
    description: str = Field(default="", max_length=512)
    url: str = Field(default="", max_length=1024)
    picurl: str = Field(default="", max_length=1024)


class AnswerLink(BaseModel):
    """A link the answer points at (the gateway may show it; text answers already embed theirs)."""

    title: str = Field(max_length=64)
    url: str = Field(max_length=1024)


class Answer(BaseModel):
    """A channel-neutral answer: a text, or articles (a news reply), and links."""

    text: str = ""
    articles: list[AnswerArticle] = Field(default_factory=list, max_length=8)
    links: list[AnswerLink] = Field(default_factory=list, max_length=8)
    personal: bool = Field(default=False, description="the answer shows the citizen's records")
    needs_citizen: bool = Field(
        default=False,
        description="the answer needs the chatting citizen and none was given; the gateway "
        "shows `text` (if any: the public part) followed by why it could not identify them",
    )


class AnswerRequest(BaseModel):
    """What the citizen sent, and what the account's rule fixed."""

    account: str = Field(max_length=32, description="the official account's code")
    text: str = Field(default="", max_length=2048, description="the message's text or menu key")
    menu_click: bool = Field(default=False, description="the text is a menu button's key")
    params: dict[str, str] = Field(default_factory=dict, max_length=16)
    public_base_url: str = Field(
        default="", max_length=256, description="the gateway's public origin for links, or empty"
    )


@dataclass(frozen=True)
class Question:
    """One question to a service's intent: the message, the identified citizen (if any) and the
    moment, with the session the answer reads through."""

    session: Session
    request: AnswerRequest
    citizen_id: str | None
    now: datetime

    def words(self) -> str:
        """The message's text; empty for a menu click, whose key is no question."""
        return "" if self.request.menu_click else self.request.text

    def link(self, path: str) -> str | None:
        """The absolute URL of the gateway's `path`, or None when the gateway gave no origin."""
        base = self.request.public_base_url
        return f"{base}{path}" if base else None


class IntentInfo(BaseModel):
    """One intent a service answers."""

    name: str
    citizen: CitizenNeed = "none"


class IntentCatalogue(BaseModel):
    """The intents a service answers."""

    service: str
    intents: list[IntentInfo]


GatewayCaller = Annotated[Identity, requires_caller("gateway")]


def chat_citizen(
    request: Request,
    authorization: Annotated[str | None, Header(alias=CITIZEN_HEADER)] = None,
) -> Identity | None:
    """The citizen the gateway identified for this answer, if any (a bad token is a 401)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    settings = app_settings(request.app, ServiceSettings)
    identity = verify_token(
        token, secret=settings.shared.internal_token_secret, audience=settings.service_name
    )
    return current_citizen(identity)


ChatCitizenDep = Annotated[Identity | None, Depends(chat_citizen)]


def intent_not_served(name: str) -> NotFound:
    """The 404 problem for an intent this service does not answer."""
    return NotFound(f"本服务不提供 {name} 的回答。")


def catalogue_router(service: str, intents: dict[str, CitizenNeed]) -> APIRouter:
    """`GET /v1/internal/answers`: the catalogue of `intents` (name -> citizen need)."""
    router = APIRouter(prefix="/v1/internal/answers", tags=["internal"])

    @router.get("", summary="本服务可回答的聊天意图", response_model=IntentCatalogue)
    def catalogue(_: GatewayCaller) -> IntentCatalogue:
        """The intents this service answers."""
        return IntentCatalogue(
            service=service,
            intents=[IntentInfo(name=n, citizen=c) for n, c in sorted(intents.items())],
        )

    return router
