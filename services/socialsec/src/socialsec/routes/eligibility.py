"""`/v1/eligibility/...`: the policy rules, public (personal results are under /v1/me)."""

from __future__ import annotations

from fastapi import APIRouter

from servicekit.clock import NowDep, local_day
from servicekit.deps import Page
from socialsec.eligibility import elderly_free_bus
from socialsec.models import FreeBusCheck, RulePublic, RuleResultPublic
from socialsec.public import rule_public, rules_public
from socialsec.settings import SocialsecSettingsDep

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"])


@router.get(
    "/rules",
    response_model=Page[RulePublic],
    operation_id="listEligibilityRules",
    summary="政策规则说明",
)
def rules(settings: SocialsecSettingsDep) -> Page[RulePublic]:
    """The rules this service explains, with their conditions in plain Chinese."""
    items = rules_public(free_bus_age=settings.free_bus_age)
    return Page(items=items, total=len(items))


@router.post(
    "/elderly-free-bus", response_model=RuleResultPublic, summary="试算：非莞籍老年人免费乘公交"
)
def check_free_bus(
    body: FreeBusCheck, settings: SocialsecSettingsDep, now: NowDep
) -> RuleResultPublic:
    """The free-bus rule applied to facts the caller gives (nothing is looked up or kept)."""
    return rule_public(
        elderly_free_bus(
            birth_date=body.birth_date,
            on=local_day(now),
            household_dongguan=body.dongguan_household,
            residence_permit=body.residence_permit,
            age_threshold=settings.free_bus_age,
        )
    )
