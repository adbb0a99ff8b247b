"""`/v1/internal/answers`: weather's chat answers, for the gateway only (servicekit.answers)."""

from typing import Annotated

from fastapi import APIRouter, Path

from servicekit.answers import Answer, AnswerRequest, GatewayCaller, catalogue_router
from servicekit.deps import SessionDep
from weather.answers import INTENTS, answer
from weather.clock import now_local

catalogue = catalogue_router("weather", INTENTS)
router = APIRouter(prefix="/v1/internal/answers", tags=["internal"])


@router.post(
    "/{name}",
    response_model=Answer,
    summary="聊天回答",
    description="天气预报（today、forecast）、生活指数（index，params.kind：umbrella、outing、all）"
    "与生效中的预警信号（warnings）的聊天回答；地点取 params.location，否则取消息中的镇街名，"
    "否则为全市。仅供网关以服务令牌调用；不提供的意图 404。",
)
def post_answer(
    name: Annotated[str, Path(max_length=64, description="意图名，如 today")],
    body: AnswerRequest,
    session: SessionDep,
    _: GatewayCaller,
) -> Answer:
    """The answer of one intent."""
    return answer(session=session, name=name, request=body, now=now_local())
