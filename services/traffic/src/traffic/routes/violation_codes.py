"""`/v1/violation-codes`: what each violation code means, its points and its fine."""

from fastapi import APIRouter

from servicekit.deps import Page, PageDep, SessionDep
from servicekit.http_cache import NOT_MODIFIED, REFERENCE_MAX_AGE, public_cache
from traffic.models import ViolationCode, ViolationCodePublic
from traffic.records import violation_code
from traffic.reference import code_page

router = APIRouter(prefix="/v1/violation-codes", tags=["violation-codes"])
REFERENCE = public_cache(REFERENCE_MAX_AGE)


@router.get(
    "",
    response_model=Page[ViolationCodePublic],
    summary="交通违法代码列表",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def list_violation_codes(session: SessionDep, page: PageDep) -> Page[ViolationCodePublic]:
    """Every known violation code, ordered by code."""
    return code_page(session, page, table=ViolationCode, public=ViolationCodePublic)


@router.get(
    "/{code}",
    response_model=ViolationCodePublic,
    summary="交通违法代码详情",
    dependencies=[REFERENCE],
    responses=NOT_MODIFIED,
)
def get_violation_code(code: str, session: SessionDep) -> ViolationCodePublic:
    """One violation code; letters in the code may be typed in lower case."""
    return ViolationCodePublic.model_validate(
        violation_code(session, code=code), from_attributes=True
    )
