"""Chat answers from the services that own them (servicekit.answers).

A keyword rule names an intent `<service>.<name>`. The gateway reads the service's catalogue
(`GET /v1/internal/answers`, cached per service), identifies the chatting citizen when the intent
may need them (`ChatCitizens`, within a share of the budget), posts the message to
`POST /v1/internal/answers/{name}` within what is left of the budget, and renders the
channel-neutral `Answer` as a WeChat reply. The wording is the service's; the gateway adds only
edge texts: "coming soon" for an intent no service answers, and a short apology when the service
fails, is late or answers garbage. Nothing personal is logged here (intents and statuses only).
Answers of intents that need no citizen are reused for the same question for a few seconds
(`answer_cache.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote

from pydantic import ValidationError

from gateway.upstreams import Upstreams
from gateway.wechat.answer_cache import AnswerCache, reusable
from gateway.wechat.citizens import UNAVAILABLE, ChatCitizens, NotIdentified
from gateway.wechat.flights import Refreshed
from gateway.wechat.messages import InboundMessage
from gateway.wechat.replies import Article, NewsReply, Reply, TextReply
from servicekit.answers import CITIZEN_HEADER, Answer, AnswerRequest, CitizenNeed, IntentCatalogue
from servicekit.chattext import clip
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable
from servicekit.identity import service_token

if TYPE_CHECKING:
    from gateway.wechat.router import Context

log = logging.getLogger("gateway.wechat.answers")

ANSWERS_PATH = "/v1/internal/answers"
# Leave time to answer (with an apology at worst) before the work deadline cuts the answer off.
REPLY_MARGIN_SECONDS = 0.3
# Identifying the citizen (platform, then accounts) must leave time for the service's answer.
IDENTIFY_SHARE = 0.6
# Distinct questions whose answers are reused (answer_cache.py); each is a few hundred bytes.
ANSWER_CACHE_ENTRIES = 4096
# A catalogue read leaves at least half of the budget to the answer itself.
CATALOGUE_TIMEOUT_SECONDS = 2.0

COMING_SOON = "该功能即将上线，敬请期待。您也可以点击菜单使用其他服务。"
SORRY = "抱歉，暂时无法回答，请稍后再试。"
# A service that cannot answer now apologises by the name citizens know it by.
SERVICE_NAMES = {
    "traffic": "交通管理服务",
    "socialsec": "社保服务",
    "weather": "天气服务",
    "accounts": "文章服务",
    "inspection": "特种设备检验服务",
}
APOLOGIES = {service: f"{name}暂时繁忙，请稍后再试。" for service, name in SERVICE_NAMES.items()}


@dataclass(frozen=True)
class Intent:
    """An intent a keyword rule names: the service that answers it, and its name there."""

    service: str
    name: str

    @classmethod
    def parse(cls, value: str | None) -> Intent | None:
        """`traffic.violations` -> Intent("traffic", "violations"); None when malformed."""
        service, _, name = (value or "").partition(".")
        return cls(service, name) if service and name else None

    def __str__(self) -> str:
        return f"{self.service}.{self.name}"


class _NotServed(Exception):
    """The service answered 404: it does not serve the intent."""


async def read_catalogue(
    upstreams: Upstreams, secret: str, service: str, timeout: float
) -> dict[str, CitizenNeed] | None:
    """Each intent `service` answers (name -> citizen need), read from its catalogue now."""
    token = service_token(secret=secret, caller="gateway", audience=service)
    response = await upstreams.request(
        service,
        "GET",
        ANSWERS_PATH,
        headers=[("Authorization", f"Bearer {token}")],
        timeout=timeout,
    )
    if response.status == 404:
        # A service without chat answers serves no intent.
        return {}
    if response.status != 200:
        raise UpstreamUnavailable(f"{service} answered {response.status}")
    catalogue = IntentCatalogue.model_validate_json(response.body)
    return {intent.name: intent.citizen for intent in catalogue.intents}


def render(answer: Answer) -> Reply | None:
    """The WeChat reply of a service's answer: its articles, else its text, else its links."""
    if answer.articles:
        return NewsReply(
            tuple(Article(a.title, a.description, a.url, a.picurl) for a in answer.articles)
        )
    if answer.text:
        return TextReply(answer.text)
    if answer.links:
        return NewsReply(tuple(Article(link.title, url=link.url) for link in answer.links))
    return None


@dataclass(eq=False)
class ChatAnswers:
    """Answers a keyword rule's intent by calling the service that owns it."""

    upstreams: Upstreams
    citizens: ChatCitizens
    _: KW_ONLY
    secret: str
    ttl: float
    public_base_url: str = ""
    # How long an answer needing no citizen is reused for the same question (0: never).
    answer_ttl: float = 0.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.reused = AnswerCache(
            ttl=self.answer_ttl, max_entries=ANSWER_CACHE_ENTRIES, clock=self.clock
        )
        # Each service's catalogue is read again after `ttl` s. One that cannot be read (nor was
        # before) is not kept: its intents get an apology and the next message asks again.
        self.catalogues: Refreshed[str, dict[str, CitizenNeed] | None] = Refreshed(
            partial(read_catalogue, self.upstreams, self.secret),
            fallback=lambda _: None,
            ttl=self.ttl,
            what="answer catalogue",
            failures=(UpstreamUnavailable, UpstreamTimeout, ValidationError),
            clock=self.clock,
        )

    async def answer(
        self,
        context: Context,
        message: InboundMessage,
        text: str,
        intent: str | None,
        params: Mapping[str, str],
    ) -> Reply:
        """The reply to `text` (a message's text or a menu key) for the rule's `intent`."""
        target = Intent.parse(intent)
        if target is None or target.service not in self.upstreams.urls:
            log.warning("a keyword rule names an intent no service answers: %s", intent)
            return TextReply(COMING_SOON)
        sorry = TextReply(APOLOGIES.get(target.service, SORRY))
        budget = context.remaining() - REPLY_MARGIN_SECONDS
        if budget <= 0:
            return sorry
        intents = await self.catalogues.get(
            target.service, timeout=min(CATALOGUE_TIMEOUT_SECONDS, budget / 2)
        )
        if intents is None:
            return sorry
        need = intents.get(target.name)
        if need is None:
            return TextReply(COMING_SOON)
        key = getattr(message, "event_key", "")
        try:
            request = AnswerRequest(
                account=context.account.code,
                text=text[:2048],
                menu_click=bool(key) and text == key,
                params=dict(params),
                public_base_url=self.public_base_url,
            )
        except ValidationError as exc:
            log.error("a keyword rule of %s cannot be asked: %d errors", target, exc.error_count())
            return sorry

        account, openid = context.account.code, message.from_user_name
        # An account that gives no personal answer asks optional intents without the citizen:
        # its refusal (and alert) is only due when the answer turns out to need them.
        deferred = need == "optional" and not self.citizens.gives_personal_answers(account)
        authorization: str | None = None
        refusal: str | None = None
        if need != "none" and not deferred:
            try:
                who = await self.citizens.identify(
                    account, openid, target.service, timeout=budget * IDENTIFY_SHARE
                )
                authorization = who.authorization
            except NotIdentified as exc:
                if need == "required":
                    return TextReply(exc.answer)
                refusal = exc.answer

        ask = partial(self._ask, context, target, request, authorization)
        try:
            if reusable(need, self.answer_ttl):
                question = (target.service, target.name, request.model_dump_json())
                answer = await self.reused.get(question, ask)
            else:
                answer = await ask()
        except _NotServed:
            self.catalogues.forget(target.service)
            return TextReply(COMING_SOON)
        if answer is None:
            return sorry
        if answer.needs_citizen:
            if deferred:
                try:
                    await self.citizens.identify(account, openid, target.service, timeout=0)
                except NotIdentified as exc:
                    refusal = exc.answer
            if refusal is None:
                log.warning("%s needs the citizen though asked as %s", target, need)
                self.catalogues.forget(target.service)
                refusal = UNAVAILABLE
            return TextReply(clip("\n".join(part for part in (answer.text, refusal) if part)))
        return render(answer) or sorry

    async def _ask(
        self,
        context: Context,
        target: Intent,
        request: AnswerRequest,
        authorization: str | None,
    ) -> Answer | None:
        """The service's answer; None (logged) when it fails, is late or answers garbage."""
        timeout = context.remaining() - REPLY_MARGIN_SECONDS
        if timeout <= 0:
            log.warning("no time left to ask %s", target)
            return None
        token = service_token(secret=self.secret, caller="gateway", audience=target.service)
        headers = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")]
        if authorization:
            headers.append((CITIZEN_HEADER, authorization))
        try:
            response = await self.upstreams.request(
                target.service,
                "POST",
                f"{ANSWERS_PATH}/{quote(target.name, safe='')}",
                headers=headers,
                body=request.model_dump_json().encode(),
                timeout=timeout,
            )
        except (UpstreamUnavailable, UpstreamTimeout) as exc:
            log.warning("%s not answered: %s", target, type(exc).__name__)
            return None
        if response.status == 404:
            raise _NotServed
        if response.status != 200:
            log.warning("%s answered %s", target, response.status)
            return None
        try:
            return Answer.model_validate_json(response.body)
        except ValidationError as exc:
            # Never the error's text: it may quote the (personal) values it refused.
            log.error("%s answered an unexpected document (%d errors)", target, exc.error_count())
            return None
