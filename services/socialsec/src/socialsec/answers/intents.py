"""东莞社保 in chat: office phones, the citizen's own records, and the city's rules.

- `office_phone`: a town's branch office, the town fixed by the rule's params or named in the
  text; public.
- `enquiry`: the bound citizen's contributions, balances, card or pension by params.topic, or
  what can be asked (no topic); personal, masked as `/v1/me` masks it.
- `eligibility`: a rule (params.rule: provident_fund or free_bus) explained, then the bound
  citizen's own result. Without a citizen the answer is the rule alone with `needs_citizen`: the
  gateway adds, on a line of its own, why it could not identify the citizen.

Personal reads go through socialsec.enquiries, so each leaves the access-log rows the same read
in the app leaves. The chat never takes an ID number: one typed in is answered with a warning
and never used. Nothing personal is logged here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from servicekit.answers import Answer, AnswerRequest, CitizenNeed, Question, intent_not_served
from servicekit.chattext import town_in_text
from servicekit.clock import local_day
from servicekit.deps import PageParams
from servicekit.errors import NotFound
from socialsec import directory, enquiries
from socialsec.access import Me
from socialsec.answers.texts import (
    ASK_TOWN,
    BIND_TO_SEE_MINE,
    ID_IN_CHAT,
    MENU,
    NOT_BOUND,
    PENSION_MONTHS,
    format_balances,
    format_card,
    format_contributions,
    format_office,
    format_pension,
    format_rule,
    mentions_identifier,
    month_lines,
    month_span,
    recent_months,
)
from socialsec.bindings import bound
from socialsec.eligibility import FREE_BUS, PROVIDENT_FUND
from socialsec.public import rules_public
from socialsec.reference import divisions
from socialsec.settings import SocialsecSettings

M = TypeVar("M", bound=BaseModel)

# Each intent, and whether it may need the chatting citizen: enquiry and eligibility answer
# some messages (what can be asked, an ID number typed in, the rule's text) without one.
INTENTS: dict[str, CitizenNeed] = {
    "office_phone": "none",
    "enquiry": "optional",
    "eligibility": "optional",
}
# The rule's parameter -> the rule's code.
RULES = {"provident_fund": PROVIDENT_FUND, "free_bus": FREE_BUS}
# Enough rows for the six recent months of all five insurances.
CONTRIBUTION_ROWS = PageParams(limit=100, offset=0)


@dataclass(frozen=True)
class Chat(Question):
    """One answer's inputs: the question, the request's id (for the access log) and the
    settings."""

    request_id: str
    settings: SocialsecSettings

    def me(self) -> Me | None:
        """The asking citizen's bound record, or None when they have not bound one."""
        assert self.citizen_id is not None
        found = bound(self.session, citizen_id=self.citizen_id)
        if found is None:
            return None
        return Me(found, self.citizen_id, self.request_id, self.now)


def masked(document: M) -> M:
    """`document` with its `Masked*` fields holding their masked forms, as the API shows them."""
    # The public models mask when serialised; a text is built from attributes, so mask first.
    return type(document).model_validate(document.model_dump())


def office_phone(chat: Chat) -> Answer:
    """The phone (and hours, address) of the social-security office of a town."""
    towns = {d.code: d.name for d in divisions()}
    town = chat.request.params.get("town") or town_in_text(towns.items(), chat.request.text)
    # A code the city does not have is asked again, never looked up.
    if town not in towns:
        return Answer(text=ASK_TOWN)
    try:
        office = directory.office(chat.session, town)
    except NotFound:
        return Answer(text=ASK_TOWN)
    return Answer(text=format_office(office))


def contributions(chat: Chat, me: Me) -> str:
    """'缴费': the last six whole months, month by month, with totals, owed and missed months."""
    period = recent_months(local_day(chat.now))
    region = chat.settings.region
    profile = masked(enquiries.profile(chat.session, me))
    summary = enquiries.contribution_summary(chat.session, me, region=region, period=period)
    page = enquiries.contribution_rows(
        chat.session, me, region=region, period=period, page=CONTRIBUTION_ROWS
    )
    lines = month_lines(
        month_span(summary.from_month, summary.to_month), page.items, summary.gap_months
    )
    return format_contributions(profile, summary, lines)


def balances(chat: Chat, me: Me) -> str:
    """'余额': the pension and medical individual account balances."""
    return format_balances(enquiries.accounts(chat.session, me).items)


def card(chat: Chat, me: Me) -> str:
    """'社保卡': the card's status and card-making progress."""
    return format_card(masked(enquiries.card(chat.session, me)))


def pension(chat: Chat, me: Me) -> str:
    """'养老金': the latest pension payments, or why there are none."""
    profile = masked(enquiries.profile(chat.session, me))
    page = enquiries.pension_payments(
        chat.session, me, page=PageParams(limit=PENSION_MONTHS, offset=0)
    )
    return format_pension(profile, page)


TOPICS: dict[str, Callable[[Chat, Me], str]] = {
    "contributions": contributions,
    "balances": balances,
    "card": card,
    "pension": pension,
}


def enquiry(chat: Chat) -> Answer:
    """The citizen's own records by params.topic; without a topic, what can be asked."""
    if mentions_identifier(chat.request.text):
        return Answer(text=ID_IN_CHAT)
    topic = TOPICS.get(chat.request.params.get("topic") or "")
    if topic is None:
        return Answer(text=MENU)
    if chat.citizen_id is None:
        return Answer(needs_citizen=True)
    me = chat.me()
    if me is None:
        return Answer(text=NOT_BOUND)
    return Answer(text=topic(chat, me), personal=True)


def eligibility(chat: Chat) -> Answer:
    """'公积金' / '老人免费乘车': the rule explained, then the bound citizen's own result (or how
    to bind)."""
    if mentions_identifier(chat.request.text):
        return Answer(text=ID_IN_CHAT)
    code = RULES.get(chat.request.params.get("rule") or "", PROVIDENT_FUND)
    age = chat.settings.free_bus_age
    rule = next(r for r in rules_public(free_bus_age=age) if r.rule == code)
    if chat.citizen_id is None:
        return Answer(text=format_rule(rule), needs_citizen=True)
    me = chat.me()
    if me is None:
        return Answer(text=format_rule(rule, note=BIND_TO_SEE_MINE))
    results = enquiries.eligibility(chat.session, me, free_bus_age=age)
    mine = next(r for r in results.items if r.rule == code)
    return Answer(text=format_rule(rule, mine), personal=True)


HANDLERS: dict[str, Callable[[Chat], Answer]] = {
    "office_phone": office_phone,
    "enquiry": enquiry,
    "eligibility": eligibility,
}


def answer(
    *,
    session: Session,
    name: str,
    request: AnswerRequest,
    citizen_id: str | None,
    now: datetime,
    request_id: str,
    settings: SocialsecSettings,
) -> Answer:
    """The answer of intent `name` to `request`, for the citizen the gateway identified (if any);
    an intent not served here is a 404 problem."""
    handler = HANDLERS.get(name)
    if handler is None:
        raise intent_not_served(name)
    return handler(Chat(session, request, citizen_id, now, request_id, settings))
