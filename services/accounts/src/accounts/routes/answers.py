"""`/v1/internal/answers`: the chat answers accounts gives the gateway (servicekit.answers)."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Path

from accounts.answers import latest_articles_answer
from servicekit.answers import (
    Answer,
    AnswerRequest,
    GatewayCaller,
    catalogue_router,
    intent_not_served,
)
from servicekit.deps import SessionDep

ANSWERS: dict[str, Callable[..., Answer]] = {"latest_articles": latest_articles_answer}

router = catalogue_router("accounts", {"latest_articles": "none"})


@router.post("/{name}", summary="回答一个聊天意图")
def answer(
    name: Annotated[str, Path(max_length=64)],
    body: AnswerRequest,
    session: SessionDep,
    _: GatewayCaller,
) -> Answer:
    """The answer of intent `accounts.<name>` for the account's chat; 404 when not served."""
    answer_of = ANSWERS.get(name)
    if answer_of is None:
        raise intent_not_served(name)
    return answer_of(session=session, request=body)
