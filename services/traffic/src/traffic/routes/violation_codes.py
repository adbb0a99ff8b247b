"""`/v1/violation-codes`: what each violation code means, its points and its fine."""

from fastapi import APIRouter
from sqlmodel import func, select

from servicekit.deps import Page, PageDep, SessionDep
from servicekit.errors import NotFound
from traffic.models import ViolationCode, ViolationCodePublic

router = APIRouter(prefix="/v1/violation-codes", tags=["violation-codes"])


@router.get("", response_model=Page[ViolationCodePublic], summary="交通违法代码列表")
def list_violation_codes(session: SessionDep, page: PageDep) -> Page[ViolationCodePublic]:
    """Every known violation code, ordered by code."""
    total = session.exec(select(func.count()).select_from(ViolationCode)).one()
    rows = session.exec(
        select(ViolationCode).order_by(ViolationCode.code).offset(page.offset).limit(page.limit)
    ).all()
    return Page(
        items=[ViolationCodePublic.model_validate(r, from_attributes=True) for r in rows],
        total=total,
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
