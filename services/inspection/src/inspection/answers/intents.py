"""东莞特检 in chat: its menu (业务查询 / 办事指南 / 关于我们) and what it can do.

- `query`: "电梯 <注册代码>" or "检验 <使用登记证编号>" answers the equipment's standing; a menu
  click or a message without an identifier explains how to ask; a malformed one says what is
  wrong with it.
- `progress` ("报检进度"): a unit contact's open applications (and reports of the last 30
  days), each with the date of its state; personal, so it needs the chatting citizen. A citizen
  who is no unit's contact is told how to bind (`POST /v1/me/units`), one with nothing open how
  to apply (`POST /v1/me/applications`).
- `guide`: the 办事指南 list. `about`: who 东莞特检 is. `help`: what the account can do.

Only `progress` is personal: the gateway sends the citizen for it alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from inspection import registry
from inspection.answers.texts import (
    ABOUT,
    HELP,
    HOW_TO_ASK,
    NONE_OPEN,
    NOT_A_CONTACT,
    guides_text,
    identifier_in,
    progress_text,
    standing_text,
)
from inspection.applications import open_applications
from inspection.contacts import unit_codes_of
from servicekit.answers import Answer, AnswerRequest, CitizenNeed, Question, intent_not_served
from servicekit.clock import local_day
from servicekit.errors import NotFound, ValidationFailed

INTENTS: dict[str, CitizenNeed] = {
    "query": "none",
    "guide": "none",
    "about": "none",
    "help": "none",
    "progress": "required",
}
GUIDES_PATH = "/api/v1/inspection/guides"


def query_answer(question: Question) -> Answer:
    """The standing of the equipment the message names, or how to ask."""
    found = identifier_in(question.words())
    if found is None:
        return Answer(text=HOW_TO_ASK)
    kind, value = found
    today = local_day(question.now)
    try:
        if kind == "certificate":
            view = registry.by_certificate(session=question.session, number=value, today=today)
        else:
            view = registry.by_registration_code(session=question.session, code=value, today=today)
    except (ValidationFailed, NotFound) as problem:
        return Answer(text=f"{problem.detail}\n\n{HOW_TO_ASK}")
    return Answer(text=standing_text(view))


def progress_answer(question: Question) -> Answer:
    """The asking contact's open applications, how to apply when none, or how to bind."""
    if question.citizen_id is None:
        return Answer(needs_citizen=True)
    if not unit_codes_of(question.session, citizen_id=question.citizen_id):
        return Answer(text=NOT_A_CONTACT, personal=True)
    found = open_applications(question.session, citizen_id=question.citizen_id, now=question.now)
    if not found:
        return Answer(text=NONE_OPEN, personal=True)
    text = progress_text(found, base_url=question.request.public_base_url)
    return Answer(text=text, personal=True)


def answer(
    *,
    session: Session,
    name: str,
    request: AnswerRequest,
    citizen_id: str | None,
    now: datetime,
) -> Answer:
    """The answer of intent `name` for the citizen the gateway identified (if any); 404 for an
    intent not served."""
    question = Question(session=session, request=request, citizen_id=citizen_id, now=now)
    match name:
        case "query":
            return query_answer(question)
        case "progress":
            return progress_answer(question)
        case "guide":
            return Answer(text=guides_text(question.link(GUIDES_PATH)))
        case "about":
            return Answer(text=ABOUT)
        case "help":
            return Answer(text=HELP)
    raise intent_not_served(f"inspection.{name}")
