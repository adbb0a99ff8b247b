"""`/v1/internal/answers`: 东莞特检's chat answers, for the gateway only (servicekit.answers)."""

from typing import Annotated

from fastapi import APIRouter, Path

from inspection.access import ACCESS_LOG
from inspection.answers.intents import INTENTS, answer
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

catalogue = catalogue_router("inspection", INTENTS)
router = APIRouter(prefix="/v1/internal/answers", tags=["internal"])


@router.post("/{name}", response_model=Answer, summary="聊天回答")
def post_answer(
    _: GatewayCaller,
    citizen: ChatCitizenDep,
    reading: ChatReadingDep,
    name: Annotated[str, Path(max_length=64, description="意图名，如 query")],
    body: AnswerRequest,
    now: NowDep,
    session: SessionDep,
) -> Answer:
    """业务查询（query：“电梯 注册代码”或“检验 使用登记证编号”）、报检进度（progress：单位联系人
    本单位的报检，须网关以 X-Citizen-Authorization 传来市民）、办事指南（guide）、关于我们
    （about）与帮助（help）。仅供网关以服务令牌调用；不提供的意图 404。"""
    citizen_id = None if citizen is None else citizen.subject
    found = answer(session=session, name=name, request=body, citizen_id=citizen_id, now=now)
    return ACCESS_LOG.answered(session, reading, intent=name, answer=found)
