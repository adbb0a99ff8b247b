"""The chat answers accounts owns (servicekit.answers): the account's latest articles."""

from __future__ import annotations

from sqlmodel import Session

from accounts.articles import latest_articles
from servicekit.answers import Answer, AnswerArticle, AnswerRequest

LATEST_ARTICLES = 5
NO_ARTICLES = "暂时还没有最近推送的文章，敬请关注。"
# A news card's title holds 128 characters; an article's stored title may hold 200.
TITLE_CHARS = 128


def latest_articles_answer(*, session: Session, request: AnswerRequest) -> Answer:
    """The account's latest articles as a news answer, or a short text when it has none."""
    articles = latest_articles(session=session, code=request.account, limit=LATEST_ARTICLES)
    if not articles:
        return Answer(text=NO_ARTICLES)
    return Answer(
        articles=[AnswerArticle(title=a.title[:TITLE_CHARS], url=a.url) for a in articles]
    )
