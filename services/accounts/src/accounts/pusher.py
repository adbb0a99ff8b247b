"""Sending due article pushes through the gateway, each exactly once.

A pass (the app's loop every `push_interval_seconds`, or `python -m accounts push-articles` from
cron) claims each due push with one conditional UPDATE (scheduled, due, and no lease or an
expired one), which the database serialises: one sender holds a push at a time, whatever the
number of replicas. The holder posts the article to the gateway's internal listener
(`POST {gateway_url}/internal/wechat/{account}/mass-news`) with `clientmsgid=article-push-<id>`,
so should a lease expire under a slow send and a second sender post again, WeChat sends once and
answers the first msg_id (`duplicate: true`).

Outcomes: 200 marks the push sent with its msg_id. A refusal (a 502 naming WeChat's errcode, or
any 4xx) marks it failed with the reason, to be fixed and scheduled again. No answer (the gateway
down, a timeout, another 5xx) ends the lease after a growing pause and the push stays scheduled,
until `push_max_attempts` attempts have failed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from accounts.editing import card_digest
from accounts.metrics import AccountsMetrics
from accounts.models import Article, ArticlePush, EditorArticle
from accounts.outbox import backoff_seconds
from accounts.pushes import FAILED, SCHEDULED, SENT
from accounts.settings import AccountsSettings
from servicekit.background import run_periodically
from servicekit.clock import utcnow
from servicekit.db import make_engine
from servicekit.deps import app_settings
from servicekit.identity import service_token
from servicekit.metrics import metrics_of
from servicekit.state import engine_of
from servicekit.tracing import propagation_headers

log = logging.getLogger("accounts.pusher")
MAX_ERROR_LENGTH = 500
BATCH_SIZE = 20


@dataclass(frozen=True)
class Refused(Exception):
    """The gateway or WeChat refused the push: retrying the same push cannot help."""

    reason: str


@dataclass(frozen=True)
class Unanswered(Exception):
    """No answer that settles the push (unreachable, timeout, 5xx): a later attempt may."""

    reason: str


def clientmsgid(push_id: int) -> str:
    """The mass send's clientmsgid: WeChat sends one push once however often it is posted."""
    return f"article-push-{push_id}"


def published_url(account: str, msg_id: int) -> str:
    """The key of a pushed article among the account's articles. A mass send does not say
    where WeChat publishes the article, so it names the send, in the shape of WeChat's article
    addresses (mid: the send, idx: the first article)."""
    return f"https://mp.weixin.qq.com/s?__biz={account}&mid={msg_id}&idx=1"


def mass_news_body(push: ArticlePush, article: EditorArticle) -> dict[str, Any]:
    """What the gateway's mass-news endpoint is asked to send for `push`."""
    assert push.id is not None and article.cover is not None
    body: dict[str, Any] = {
        "clientmsgid": clientmsgid(push.id),
        "title": article.title,
        "content_html": article.body_html,
        "cover_base64": base64.b64encode(article.cover).decode("ascii"),
        "digest": card_digest(article),
        "author": article.author or None,
        "content_source_url": article.source_url,
    }
    if push.audience == "town":
        body["town"] = push.town
    return body


def refusal_of(response: httpx.Response) -> Refused | Unanswered:
    """What a non-200 answer of the gateway means for the push."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    detail = problem.get("detail") if isinstance(problem, dict) else None
    reason = f"网关答复 HTTP {response.status_code}：{detail or response.text[:200]}"
    # The gateway answers 502 when WeChat refused (its errcode in the detail), 4xx when it
    # refused the request itself; other 5xx say nothing about whether anything was sent.
    if response.status_code == 502 and isinstance(problem, dict) and "errcode" in problem:
        return Refused(reason[:MAX_ERROR_LENGTH])
    if 400 <= response.status_code < 500:
        return Refused(reason[:MAX_ERROR_LENGTH])
    return Unanswered(reason[:MAX_ERROR_LENGTH])


def claim_owner(settings: AccountsSettings, role: str) -> str:
    """A name for one sender's claims: the instance, its role and a nonce of this run."""
    return f"{settings.outbox_instance}:{role}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class PassReport:
    """What one pass did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0


class ArticlePusher:
    """Claims and sends due pushes as `settings` say; every method blocks (run it in a thread).

    `owner` names this sender's claims (for the logs and the rows while it holds them)."""

    def __init__(
        self,
        engine: Engine,
        settings: AccountsSettings,
        *,
        owner: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine, self.settings, self.owner, self.clock = engine, settings, owner, clock
        self.lease = timedelta(seconds=settings.push_lease_seconds)

    def push_due(self) -> PassReport:
        """One pass: claim the due pushes and send each; what happened."""
        sent = failed = retrying = 0
        for push_id in self.claim_due(now=self.clock()):
            status = self.send(push_id)
            sent += status == SENT
            failed += status == FAILED
            retrying += status == SCHEDULED
        return PassReport(sent, failed, retrying)

    def claim_due(self, *, now: datetime) -> list[int]:
        """Take the lease on the pushes due at `now` that nobody holds; their ids."""
        free = or_(col(ArticlePush.lease_until).is_(None), col(ArticlePush.lease_until) < now)
        due = (ArticlePush.status == SCHEDULED, col(ArticlePush.send_at) <= now, free)
        claimed = []
        with Session(self.engine) as session:
            ids = session.exec(
                select(ArticlePush.id)
                .where(*due)
                .order_by(col(ArticlePush.send_at))
                .limit(BATCH_SIZE)
            ).all()
            for push_id in ids:
                taken = session.execute(
                    update(ArticlePush)
                    .where(col(ArticlePush.id) == push_id, *due)
                    .values(
                        lease_owner=self.owner,
                        lease_until=now + self.lease,
                        attempts=col(ArticlePush.attempts) + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                session.commit()
                if taken.rowcount == 1:
                    claimed.append(push_id)
        return claimed

    def send(self, push_id: int) -> str:
        """Post a claimed push to the gateway and record the outcome; the push's new status."""
        with Session(self.engine) as session:
            push = session.get(ArticlePush, push_id)
            article = session.get(EditorArticle, push.article_id) if push else None
            assert push is not None and article is not None
            body, attempts = mass_news_body(push, article), push.attempts
            headline = (push.account_code, article.title)
        account = headline[0]
        try:
            msg_id = self._post(account, body)
        except Refused as exc:
            return self._settle(push_id, status=FAILED, error=exc.reason)
        except Unanswered as exc:
            if attempts >= self.settings.push_max_attempts:
                return self._settle(push_id, status=FAILED, error=exc.reason)
            pause = backoff_seconds(failures=attempts, base=5.0, cap=300.0)
            return self._settle(push_id, status=SCHEDULED, error=exc.reason, pause=pause)
        return self._settle(push_id, status=SENT, msg_id=msg_id, headline=headline)

    def _post(self, account: str, body: dict[str, Any]) -> int:
        secret = self.settings.shared.internal_token_secret
        token = service_token(secret=secret, caller="accounts", audience="gateway")
        headers = {
            **propagation_headers(),
            "Authorization": f"Bearer {token}",
            "X-Request-ID": body["clientmsgid"],
        }
        url = f"{self.settings.gateway_url.rstrip('/')}/internal/wechat/{account}/mass-news"
        timeout = self.settings.push_timeout_seconds
        try:
            with httpx.Client(timeout=timeout, trust_env=False) as client:
                response = client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise Unanswered(f"网关不可达或超时（{type(exc).__name__}）") from None
        if response.status_code != 200:
            raise refusal_of(response)
        try:
            return int(response.json()["msg_id"])
        except (ValueError, KeyError, TypeError):
            raise Unanswered(f"网关答复无法识别：{response.text[:200]}") from None

    def _settle(
        self,
        push_id: int,
        *,
        status: str,
        error: str | None = None,
        msg_id: int | None = None,
        headline: tuple[str, str] | None = None,
        pause: float = 0.0,
    ) -> str:
        """Record an outcome and end this sender's lease (a pause keeps the push unclaimed); a
        push sent now adds its `headline` (account, title) to the account's articles."""
        now = self.clock()
        values: dict[str, Any] = {"status": status, "error": error, "lease_owner": None}
        values["lease_until"] = now + timedelta(seconds=pause) if pause else None
        if status == SENT:
            values |= {"msg_id": msg_id, "sent_at": now}
        with Session(self.engine) as session:
            changed = session.execute(
                update(ArticlePush)
                .where(col(ArticlePush.id) == push_id, col(ArticlePush.status) != SENT)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            if headline is not None and msg_id is not None and changed:
                # Published now: the rankings, the statistics imports (which match the
                # platform's articles by title and day) and the 最新 answer read these rows.
                code, title = headline
                url = published_url(code, msg_id)
                session.add(
                    Article(
                        account_code=code, published_at=now, title=title, url=url, is_headline=True
                    )
                )
            session.commit()
        level = logging.INFO if status == SENT else logging.WARNING
        log.log(level, "article push %s", status, extra={"push_id": push_id, "msg_id": msg_id})
        return status


@contextlib.asynccontextmanager
async def push_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the push loop while the app serves (when `push_interval_seconds` > 0)."""
    settings = app_settings(app, AccountsSettings)
    if settings.push_interval_seconds <= 0:
        yield
        return
    pusher = ArticlePusher(engine_of(app), settings, owner=claim_owner(settings, "serve"))
    metrics = metrics_of(app, AccountsMetrics)

    def push_and_count() -> None:
        report = pusher.push_due()
        metrics.pushed(sent=report.sent, failed=report.failed, retrying=report.retrying)

    stop = asyncio.Event()
    loop = run_periodically(
        push_and_count, interval=settings.push_interval_seconds, stop=stop, what="article push"
    )
    task = asyncio.create_task(loop)
    try:
        yield
    finally:
        stop.set()
        try:
            # A send in flight settles its row within one gateway call.
            await asyncio.wait_for(task, timeout=settings.push_timeout_seconds + 5)
        except TimeoutError:
            log.warning("article push loop did not stop in time")


def push_articles_command(settings: AccountsSettings) -> None:
    """`python -m accounts push-articles`: send the pushes due now, once (for cron)."""
    engine = make_engine(settings.database_url)
    try:
        owner = claim_owner(settings, "push-articles")
        report = ArticlePusher(engine, settings, owner=owner).push_due()
    finally:
        engine.dispose()
    print(f"article pushes: {report.sent} sent, {report.failed} failed, {report.retrying} retrying")
