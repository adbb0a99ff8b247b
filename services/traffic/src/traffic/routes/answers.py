"""`/v1/internal/answers`: 东莞交警's chat answers, for the gateway only (servicekit.answers)."""

from typing import Annotated

from fastapi import Path

from servicekit.access_log import ChatReadingDep
from servicekit.answers import (
    Answer,
    AnswerRequest,
    ChatCitizenDep,
    GatewayCaller,
    catalogue_router,
)
from servicekit.clock import NowDep
from servicekit.deps import SessionDep
from traffic.access import ACCESS_LOG
from traffic.answers import INTENTS, answer

router = catalogue_router("traffic", INTENTS)


@router.post(
    "/{name}",
    response_model=Answer,
    summary="回答一个聊天意图",
    responses={404: {"description": "本服务不提供该意图的回答"}},
)
def post_answer(
    name: Annotated[str, Path(max_length=64, description="意图名称，如 violations")],
    body: AnswerRequest,
    _: GatewayCaller,
    citizen: ChatCitizenDep,
    reading: ChatReadingDep,
    session: SessionDep,
    now: NowDep,
) -> Answer:
    """The answer to one chat message; personal intents read the identified citizen's bindings."""
    found = answer(session=session, name=name, request=body, citizen=citizen, now=now)
    return ACCESS_LOG.answered(session, reading, intent=name, answer=found)
