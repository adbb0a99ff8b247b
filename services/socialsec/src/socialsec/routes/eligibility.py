"""`/v1/eligibility/...`: the policy rules, public (personal results are under /v1/me)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from servicekit.clock import NowDep, local_day
from servicekit.deps import Page
from socialsec.eligibility import FREE_BUS, PROVIDENT_FUND, RULE_TITLES, elderly_free_bus
from socialsec.models import FreeBusCheck, RulePublic, RuleResultPublic
from socialsec.routes.me import rule_public

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


def _descriptions(age: int) -> dict[str, str]:
    return {
        PROVIDENT_FUND: (
            "社保卡具有金融账户功能，提取住房公积金时可选择社保卡的银行账户作为收款账户。"
            "条件：社保卡状态为“正常”，且已领卡并启用金融账户。"
        ),
        FREE_BUS: (
            f"非东莞户籍老年人年满{age}周岁并持有东莞居住证，可免费乘坐东莞市内公交；"
            "东莞户籍老年人按本市户籍老年人优待政策办理。"
        ),
    }


@router.get("/rules", response_model=Page[RulePublic], summary="政策规则说明")
def rules(request: Request) -> Page[RulePublic]:
    """The rules this service explains, with their conditions in plain Chinese."""
    texts = _descriptions(request.app.state.settings.free_bus_age)
    items = [RulePublic(rule=r, title=RULE_TITLES[r], description=texts[r]) for r in texts]
    return Page(items=items, total=len(items))


@router.post(
    "/elderly-free-bus", response_model=RuleResultPublic, summary="试算：非莞籍老年人免费乘公交"
)
def check_free_bus(body: FreeBusCheck, request: Request, now: NowDep) -> RuleResultPublic:
    """The free-bus rule applied to facts the caller gives (nothing is looked up or kept)."""
    return rule_public(
        elderly_free_bus(
            birth_date=body.birth_date,
            on=local_day(now),
            household_dongguan=body.dongguan_household,
            residence_permit=body.residence_permit,
            age_threshold=request.app.state.settings.free_bus_age,
        )
    )
