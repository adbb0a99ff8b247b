"""Chat answers that name no citizen reused for the same question (wechat/answer_cache.py),
against a fake answering service, with a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import pytest

from gateway.auth.citizens import citizen_authorization
from gateway.settings import WechatAccount
from gateway.state import GatewayState
from gateway.upstreams import Upstreams
from gateway.wechat.answer_cache import AnswerCache, reusable
from gateway.wechat.answers import ChatAnswers
from gateway.wechat.citizens import ChatCitizens, ChatIdentity
from gateway.wechat.messages import to_message
from gateway.wechat.replies import Reply, TextReply
from gateway.wechat.router import Context
from servicekit.answers import Answer, AnswerRequest, CitizenNeed
from servicekit.testing import TEST_SECRET

if TYPE_CHECKING:
    from conftest import FakeService

ACCOUNT = WechatAccount(code="dgtq", appid="wxtest0000dgtq", token="tk-dgtq")
TTL = 10.0


class Citizens:
    """Identifies anyone as citizen-1 (for the intents that need them)."""

    def gives_personal_answers(self, account: str) -> bool:
        return True

    async def identify(
        self, account: str, openid: str, service: str, *, timeout: float
    ) -> ChatIdentity:
        authorization = citizen_authorization(
            secret=TEST_SECRET, citizen_id="citizen-1", service=service
        )
        return ChatIdentity(citizen_id="citizen-1", service=service, authorization=authorization)


@dataclass
class Chat:
    answers: ChatAnswers
    now: list[float]

    async def ask(self, intent: str, text: str, openid: str = "o_one", **params: str) -> Reply:
        message = to_message(
            {"ToUserName": "gh_1", "FromUserName": openid, "CreateTime": "1", "MsgType": "text"}
        )
        loop_now = asyncio.get_running_loop().time()
        state = cast(GatewayState, None)
        context = Context(ACCOUNT, state, loop_now + 4, work_deadline=loop_now + 4)
        return await self.answers.answer(context, message, text, intent, params)


@pytest.fixture
def weather(fake_service: Callable[[str], FakeService]) -> FakeService:
    return fake_service("weather")


@pytest.fixture
async def chat(weather: FakeService) -> AsyncIterator[Chat]:
    upstreams = Upstreams({"weather": weather.url}, connect_timeout=1, total_timeout=5)
    await upstreams.start()
    now = [0.0]
    answers = ChatAnswers(
        upstreams,
        cast(ChatCitizens, Citizens()),
        secret=TEST_SECRET,
        ttl=300,
        answer_ttl=TTL,
        clock=lambda: now[0],
    )
    try:
        yield Chat(answers, now)
    finally:
        await upstreams.close()


@pytest.mark.parametrize(
    ("need", "ttl", "expected"),
    [
        ("none", 10.0, True),
        ("none", 0.0, False),
        ("optional", 10.0, False),
        ("required", 10, False),
    ],
)
def test_only_answers_needing_no_citizen_are_reused(
    need: CitizenNeed, ttl: float, expected: bool
) -> None:
    assert reusable(need, ttl) is expected


async def test_the_same_question_is_asked_once_per_ttl_whoever_asks(
    chat: Chat, weather: FakeService
) -> None:
    signal = ["暴雨黄色预警"]
    weather.serves("today", lambda request, citizen: Answer(text=f"今天多云，{signal[0]}"))
    for openid in ("o_one", "o_two", "o_three"):
        assert await chat.ask("weather.today", "天气", openid) == TextReply(
            "今天多云，暴雨黄色预警"
        )
    assert len(weather.asked) == 1
    signal[0] = "暴雨红色预警"  # a new signal: in chat answers within the TTL
    chat.now[0] = TTL
    assert await chat.ask("weather.today", "天气") == TextReply("今天多云，暴雨红色预警")
    assert len(weather.asked) == 2


async def test_other_questions_are_asked_for_themselves(chat: Chat, weather: FakeService) -> None:
    weather.serves("today", lambda request, _: Answer(text=f"{request.params.get('location')}"))
    assert await chat.ask("weather.today", "天气", location="dalang") == TextReply("dalang")
    assert await chat.ask("weather.today", "天气", location="humen") == TextReply("humen")
    assert await chat.ask("weather.today", "天气 大朗", location="dalang") == TextReply("dalang")
    assert len(weather.asked) == 3


async def test_answers_needing_the_citizen_are_never_reused(
    chat: Chat, weather: FakeService
) -> None:
    weather.serves("mine", "您关注的地点：大朗", citizen="required")
    weather.serves("maybe", lambda _, citizen: Answer(needs_citizen=citizen is None), "optional")
    for _ in range(2):
        await chat.ask("weather.mine", "我的天气")
        await chat.ask("weather.maybe", "我的天气")
    assert [a.name for a in weather.asked] == ["mine", "maybe"] * 2


async def test_a_failed_answer_is_not_kept(chat: Chat, weather: FakeService) -> None:
    weather.serves("today", "今天多云")
    weather.status = 503
    await chat.ask("weather.today", "天气")
    weather.status = 200
    assert await chat.ask("weather.today", "天气") == TextReply("今天多云")
    assert len(weather.asked) == 2


async def test_at_most_max_entries_questions_are_kept() -> None:
    cache = AnswerCache(ttl=TTL, max_entries=2, clock=lambda: 0.0)
    asked: list[str] = []

    def asking(text: str) -> Callable[[], asyncio.Future[Answer | None]]:
        async def ask() -> Answer | None:
            asked.append(text)
            return Answer(text=text)

        return ask  # type: ignore[return-value]

    for text in ("a", "b", "a", "c", "b"):
        request = AnswerRequest(account="dgtq", text=text).model_dump_json()
        await cache.get(("weather", "today", request), asking(text))
    # a and b kept; a reused (and so more recent); c drops b; b asked again.
    assert asked == ["a", "b", "c", "b"]
    assert len(cache) == 2
