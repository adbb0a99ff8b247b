"""`/v1/warnings`: Guangdong warning signals per area — in force, history, and the forecaster's
issue, upgrade, downgrade and lift."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from servicekit.deps import MAX_ID, Id, Page, PageDep, SessionDep
from weather import openapi_examples as examples
from weather.caching import ETAG_NOTE
from weather.models import AreaCode, WarningEventPublic, WarningPublic
from weather.routes.common import ReadDep
from weather.signals import (
    Change,
    active_page,
    change_signal,
    history_page,
    issue_signal,
    lift_signal,
    signal_public,
)
from weather.staff import STAFF_NOTE, ForecasterDep

router = APIRouter(prefix="/v1/warnings", tags=["warnings"])
AT = Field(
    default=None, description="生效时间（带时区），默认现在；不能晚于现在，不能早于上一次变更"
)
AreaQuery = Annotated[
    str | None, Query(description="地点代码：列出全市的和该地的信号；dongguan 或不填为全部")
]
HistoryAreaQuery = Annotated[
    str | None, Query(description="只列此地区（地点代码或 dongguan）的信号")
]
HazardQuery = Annotated[str | None, Query(description="只列此灾种，如 rainstorm")]
SignalQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="只列此信号")]


class WarningIssue(BaseModel):
    """A new signal."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [examples.WARNING_ISSUE]},
    )
    hazard: str = Field(
        description="灾种：typhoon、rainstorm、high_temperature、cold、fog、haze、"
        "thunderstorm_gale、road_icing、hail、forest_fire"
    )
    colour: str = Field(description="white、blue、yellow、orange、red（依灾种而定）")
    area: AreaCode
    at: AwareDatetime | None = AT


class WarningChange(BaseModel):
    """A new colour for a signal in force."""

    model_config = ConfigDict(extra="forbid")
    colour: str = Field(description="升级或降级后的颜色")
    at: AwareDatetime | None = AT


class WarningLift(BaseModel):
    """The lifting (解除) of a signal."""

    model_config = ConfigDict(extra="forbid")
    at: AwareDatetime | None = AT


@router.get(
    "",
    response_model=Page[WarningPublic],
    operation_id="listActiveWarnings",
    summary="生效中的预警信号",
    description="颜色最高的在前。" + ETAG_NOTE,
)
def list_active(read: ReadDep, page: PageDep, area: AreaQuery = None) -> Response:
    """Signals in force, for the whole city or one area."""
    return read.answer(active_page(session=read.session, area=area, page=page))


@router.get(
    "/history",
    response_model=Page[WarningEventPublic],
    operation_id="listWarningHistory",
    summary="预警信号历史",
    description="发布、升级、降级、解除的记录，最新的在前。" + ETAG_NOTE,
)
def list_history(
    read: ReadDep,
    page: PageDep,
    area: HistoryAreaQuery = None,
    hazard: HazardQuery = None,
    signal_id: SignalQuery = None,
) -> Response:
    """Every step of every signal, newest first, optionally filtered."""
    history = history_page(
        session=read.session, page=page, area=area, hazard=hazard, signal_id=signal_id
    )
    return read.answer(history)


@router.get(
    "/{signal_id}",
    response_model=WarningPublic,
    summary="预警信号详情",
    description="生效中或已解除的信号。" + ETAG_NOTE,
)
def get_warning(signal_id: Id, read: ReadDep) -> Response:
    """One signal by id."""
    return read.answer(signal_public(session=read.session, signal_id=signal_id))


@router.post(
    "",
    response_model=WarningPublic,
    status_code=201,
    summary="发布预警信号",
    description="为一个地区（地点代码，dongguan 为全市）发布信号。该地区已有同灾种信号生效时 409"
    "（应升级、降级或解除）；灾种没有该颜色时 422。" + STAFF_NOTE,
)
def post_warning(body: WarningIssue, session: SessionDep, actor: ForecasterDep) -> WarningPublic:
    """Issue a signal."""
    return issue_signal(
        session=session,
        hazard=body.hazard,
        colour=body.colour,
        area=body.area,
        at=body.at,
        actor=actor,
    )


# An upgrade and a downgrade take the same body and differ only in the direction they allow.
CHANGES: dict[Change, tuple[str, str]] = {
    "upgrade": ("升级预警信号", "改为更高的颜色；不高于当前颜色时 422，已解除时 409。"),
    "downgrade": ("降级预警信号", "改为更低的颜色；不低于当前颜色时 422，已解除时 409。"),
}


def change_route(change: Change) -> Callable[..., WarningPublic]:
    """The route of one direction of change."""

    def post_change(
        signal_id: Id, body: WarningChange, session: SessionDep, actor: ForecasterDep
    ) -> WarningPublic:
        """Upgrade or downgrade a signal in force."""
        return change_signal(
            session=session,
            signal_id=signal_id,
            colour=body.colour,
            change=change,
            at=body.at,
            actor=actor,
        )

    return post_change


for _change, (_summary, _description) in CHANGES.items():
    router.add_api_route(
        f"/{{signal_id}}/{_change}",
        change_route(_change),
        methods=["POST"],
        name=f"post_{_change}",
        operation_id=f"{_change}Warning",
        response_model=WarningPublic,
        summary=_summary,
        description=_description + STAFF_NOTE,
    )


@router.post(
    "/{signal_id}/lift",
    response_model=WarningPublic,
    operation_id="liftWarning",
    summary="解除预警信号",
    description="解除生效中的信号；已解除时 409。" + STAFF_NOTE,
)
def post_lift(
    signal_id: Id, session: SessionDep, actor: ForecasterDep, body: WarningLift | None = None
) -> WarningPublic:
    """Lift a signal in force."""
    at = body.at if body else None
    return lift_signal(session=session, signal_id=signal_id, at=at, actor=actor)
