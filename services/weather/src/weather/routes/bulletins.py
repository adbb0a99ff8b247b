"""`/v1/bulletins/{date}`: the day's bulletin text, written by the duty forecaster or drafted."""

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from servicekit.deps import SessionDep
from weather.bulletin_push import push_state
from weather.bulletins import MAX_LENGTH, bulletin_for, write_bulletin
from weather.caching import ETAG_NOTE
from weather.clock import now_local
from weather.models import BulletinPublic, BulletinPushPublic
from weather.routes.common import PathDate, ReadDep
from weather.staff import STAFF_NOTE, ForecasterDep

router = APIRouter(prefix="/v1/bulletins", tags=["bulletins"])
# The push state changes within seconds while a push runs.
PUSH_MAX_AGE = 10


class BulletinWrite(BaseModel):
    """The bulletin text."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description=f"短评正文，1-{MAX_LENGTH} 字")


@router.get(
    "/{date}",
    response_model=BulletinPublic,
    summary="每日天气短评",
    description="值班预报员撰写的短评；15:45（北京时间）仍未撰写时，返回按全市预报自动生成的短评"
    "（预警信号在前，最多 140 字）；此前未撰写则 404。" + ETAG_NOTE,
)
def get_bulletin(date: PathDate, read: ReadDep) -> Response:
    """The bulletin of a date."""
    return read.answer(bulletin_for(session=read.session, bulletin_date=date, now=now_local()))


@router.get(
    "/{date}/push",
    response_model=BulletinPushPublic,
    summary="每日天气短评的群发状态",
    description="该日短评与全市预报图是否已由“东莞天气”群发：not_pushed 尚未群发，"
    "sending 正在群发，sent 已群发（带 msg_id、时间和所发正文），failed 上次失败（稍后重试）。"
    "每个日期只群发一次。" + ETAG_NOTE,
)
def get_bulletin_push(date: PathDate, read: ReadDep) -> Response:
    """Whether and when the bulletin of a date was mass-sent."""
    state = push_state(session=read.session, bulletin_date=date)
    return read.answer(state, max_age=PUSH_MAX_AGE)


@router.put(
    "/{date}",
    response_model=BulletinPublic,
    summary="撰写每日天气短评",
    description=f"写入或改写某日的短评（去掉首尾空白后 1-{MAX_LENGTH} 字）。" + STAFF_NOTE,
)
def put_bulletin(
    date: PathDate, body: BulletinWrite, session: SessionDep, actor: ForecasterDep
) -> BulletinPublic:
    """Write the bulletin of a date."""
    return write_bulletin(session=session, bulletin_date=date, text=body.text, actor=actor)
