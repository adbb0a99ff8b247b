"""东莞特检 in chat: its menu (业务查询 / 办事指南 / 关于我们) and what it can do.

- `query`: "电梯 <注册代码>" or "检验 <使用登记证编号>" answers the equipment's standing; a menu
  click or a message without an identifier explains how to ask; a malformed one says what is
  wrong with it.
- `guide`: the 办事指南 list. `about`: who 东莞特检 is. `help`: what the account can do.

None of them is personal: the gateway sends no citizen.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from inspection import registry
from inspection.answers.texts import (
    ABOUT,
    HELP,
    HOW_TO_ASK,
    guides_text,
    identifier_in,
    standing_text,
)
from servicekit.answers import Answer, AnswerRequest, CitizenNeed, Question, intent_not_served
from servicekit.clock import local_day
from servicekit.errors import NotFound, ValidationFailed

INTENTS: dict[str, CitizenNeed] = {
    "query": "none",
    "guide": "none",
    "about": "none",
    "help": "none",
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


def answer(*, session: Session, name: str, request: AnswerRequest, now: datetime) -> Answer:
    """The answer of intent `name`; 404 for an intent not served."""
    question = Question(session=session, request=request, citizen_id=None, now=now)
    match name:
        case "query":
            return query_answer(question)
        case "guide":
            return Answer(text=guides_text(question.link(GUIDES_PATH)))
        case "about":
            return Answer(text=ABOUT)
        case "help":
            return Answer(text=HELP)
    raise intent_not_served(f"inspection.{name}")
