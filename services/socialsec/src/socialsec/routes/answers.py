"""`/v1/internal/answers`: 东莞社保's chat answers for the gateway (servicekit.answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from servicekit.answers import (
    Answer,
    AnswerRequest,
    ChatCitizenDep,
    GatewayCaller,
    catalogue_router,
)
from servicekit.clock import NowDep
from servicekit.deps import SessionDep
from socialsec.answers.intents import INTENTS, answer
from socialsec.settings import SocialsecSettingsDep

catalogue = catalogue_router("socialsec", INTENTS)
router = APIRouter(prefix="/v1/internal/answers", tags=["internal"])


@router.post("/{name}", response_model=Answer, summary="回答一条聊天意图")
def answer_intent(
    name: Annotated[str, Path(max_length=64, description="意图名，如 enquiry")],
    body: AnswerRequest,
    _: GatewayCaller,
    citizen: ChatCitizenDep,
    session: SessionDep,
    now: NowDep,
    settings: SocialsecSettingsDep,
    request: Request,
) -> Answer:
    """The answer of intent `name`: the citizen's own records only for the citizen whose token
    the gateway forwarded."""
    return answer(
        session=session,
        name=name,
        request=body,
        citizen_id=citizen.subject if citizen else None,
        now=now,
        request_id=getattr(request.state, "request_id", ""),
        settings=settings,
    )
