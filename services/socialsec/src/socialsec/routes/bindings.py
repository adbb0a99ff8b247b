"""Bindings: `/v1/me/bindings` for citizens, and the consent-withdrawal contract (DESIGN §6)."""

from fastapi import APIRouter, Request, status

from servicekit.bindings import Attempt
from servicekit.clock import NowDep, local
from servicekit.deps import Page, SessionDep
from servicekit.errors import valid
from servicekit.identity import CitizenDep
from socialsec.access import Me
from socialsec.bindings import BINDINGS, Bound, bind, bound
from socialsec.models import BindingCreate, BindingPublic
from socialsec.settings import SocialsecSettingsDep
from socialsec.validators import validate_card_number, validate_name, validate_resident_id

router = APIRouter(prefix="/v1/me/bindings", tags=["bindings"])
# The consent-withdrawal contract: accounts deletes a citizen's bindings here.
internal_router = BINDINGS.internal_router()


def _public(item: Bound) -> BindingPublic:
    assert item.binding.id is not None
    return BindingPublic(
        id=item.binding.id,
        name=item.person.name,
        id_number=item.person.id_number,
        card_number=item.card.card_number,
        created_at=local(item.binding.created_at),
    )


@router.get("", response_model=Page[BindingPublic], summary="我绑定的社保信息")
def list_bindings(
    citizen: CitizenDep, session: SessionDep, request: Request, now: NowDep
) -> Page[BindingPublic]:
    """The caller's binding (at most one), masked."""
    item = bound(session, citizen_id=citizen.subject)
    if item is None:
        return Page(items=[], total=0)
    me = Me(item, citizen.subject, getattr(request.state, "request_id", ""), now)
    me.log_read(session, "bindings")
    return Page(items=[_public(item)], total=1)


@router.post(
    "",
    response_model=BindingPublic,
    status_code=status.HTTP_201_CREATED,
    summary="绑定社保信息（姓名 + 身份证号码 + 社保卡号）",
    responses={
        409: {"description": "已绑定"},
        422: {"description": "格式错误，或核验未通过（不指明哪一项不符）"},
        429: {"description": "核验失败次数过多，见 Retry-After"},
    },
)
def create_binding(
    body: BindingCreate,
    citizen: CitizenDep,
    session: SessionDep,
    now: NowDep,
    settings: SocialsecSettingsDep,
) -> BindingPublic:
    """Bind the caller's record: every part is format-checked first, then all three must match."""
    item = bind(
        session,
        Attempt(citizen.subject, now, settings.binding_throttle),
        name=valid("name", "body", lambda: validate_name(name=body.name)),
        id_number=valid("id_number", "body", lambda: validate_resident_id(number=body.id_number)),
        card_number=valid(
            "card_number", "body", lambda: validate_card_number(number=body.card_number)
        ),
    )
    return _public(item)


BINDINGS.add_removal_route(router, summary="解除绑定")
