"""`/v1/violation-codes`: what each violation code means, its points and its fine."""

from fastapi import APIRouter
from sqlmodel import select

from servicekit.deps import Page, PageDep, SessionDep, paginate
from servicekit.errors import NotFound
from traffic.models import ViolationCode, ViolationCodePublic

router = APIRouter(prefix="/v1/violation-codes", tags=["violation-codes"])


@router.get("", response_model=Page[ViolationCodePublic], summary="交通违法代码列表")
def list_violation_codes(session: SessionDep, page: PageDep) -> Page[ViolationCodePublic]:
    """Every known violation code, ordered by code."""
    return paginate(
        session,
        select(ViolationCode),
        page,
        order_by=ViolationCode.code,
        public=ViolationCodePublic,
    )


@router.get("/{code}", response_model=ViolationCodePublic, summary="交通违法代码详情")
def get_violation_code(code: str, session: SessionDep) -> ViolationCodePublic:
    """One violation code; letters in the code may be typed in lower case."""
    row = session.get(ViolationCode, code.strip().upper())
    if row is None:
        raise NotFound(
            f"未找到违法代码“{code}”，请核对决定书上的代码，或查看 /v1/violation-codes。"
        )
    return ViolationCodePublic.model_validate(row, from_attributes=True)
