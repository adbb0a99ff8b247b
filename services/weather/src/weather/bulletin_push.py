"""The daily bulletin's mass send: the text and the city chart, once per date, through the gateway.

`python -m weather push-bulletin [--date]` (cron, by hand) and the in-service scheduler both call
`BulletinPusher.push`. Once per date, however often and in however many processes it runs:

1. A run claims the date's `bulletin_push` row before calling the gateway: an insert (the date is
   the primary key) or, when the row exists, a conditional update that succeeds only on a failed
   row or on a claim older than the lease (a run that crashed mid-push). Both are single
   statements the database serialises, so exactly one of two simultaneous runs holds the claim.
2. A run that finds the date sent does nothing. A run that finds another run's fresh claim waits
   for it to settle and reports its outcome; it never sends itself meanwhile.
3. The holder builds the text (the written bulletin, else the draft) and the chart, and posts them
   to `POST {gateway}/internal/wechat/{account}/mass-news` with clientmsgid = the date. The
   clientmsgid makes the platform side idempotent as well: should two runs ever both send (a
   claim that outlived its lease), WeChat sends once and answers the second with the same msg_id.
4. Success marks the row sent with the msg_id; a failure (gateway down, timeout, 502 from WeChat)
   marks it failed with the error, and a later run claims it again.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from servicekit.cjk import CJKFontNotFound
from servicekit.clock import as_utc, local, utcnow
from servicekit.identity import service_token
from servicekit.tracing import propagation_headers
from weather.bulletins import bulletin_to_push
from weather.charts import ChartCache, chart_png
from weather.clock import now_local
from weather.models import BulletinPush, BulletinPushPublic, PushStatus
from weather.public import push_public
from weather.reference import CITY
from weather.serving import served_forecast
from weather.settings import WeatherSettings

log = logging.getLogger("weather.bulletin_push")

SENDING: PushStatus = "sending"
SENT: PushStatus = "sent"
FAILED: PushStatus = "failed"
# The gateway refuses pictures over 1 MB (WeChat's limit for images inside an article).
MAX_PNG_BYTES = 1024 * 1024
MAX_ERROR_LENGTH = 500
# How often a run waiting for another run's claim looks at the row again.
POLL_SECONDS = 0.25
# Time for the holder to render the chart on top of its gateway call.
RENDER_ALLOWANCE_SECONDS = 30.0
# WeChat: a subscription account's one mass send a day is used (a service account's 4 a month).
QUOTA_ERRCODE = 45009


class Outcome(StrEnum):
    """What a run did."""

    SENT = "sent"  # this run sent it (or the gateway had it sent under the same clientmsgid)
    ALREADY_SENT = "already_sent"  # sent before, by this or another run: nothing done
    IN_PROGRESS = "in_progress"  # another run holds the claim and had not finished
    FAILED = "failed"  # the push failed and is recorded; a later run retries


EXIT_CODES = {Outcome.SENT: 0, Outcome.ALREADY_SENT: 0, Outcome.FAILED: 1, Outcome.IN_PROGRESS: 3}


@dataclass(frozen=True)
class PushResult:
    """The outcome of one run for one date."""

    outcome: Outcome
    bulletin_date: date
    msg_id: int | None = None
    sent_at: datetime | None = None
    attempts: int = 0
    error: str | None = None
    errcode: int | None = None

    @property
    def exit_code(self) -> int:
        """0 sent or already sent, 1 failed (recorded, a later run retries), 3 in progress."""
        return EXIT_CODES[self.outcome]

    @property
    def message(self) -> str:
        """One line, Chinese then English."""
        d = self.bulletin_date.isoformat()
        when = self.sent_at.strftime("%Y-%m-%d %H:%M:%S") if self.sent_at else "?"
        match self.outcome:
            case Outcome.SENT:
                return (
                    f"{d} 天气短评已群发（msg_id {self.msg_id}）/ "
                    f"bulletin of {d} sent (msg_id {self.msg_id})"
                )
            case Outcome.ALREADY_SENT:
                return (
                    f"{d} 天气短评已于 {when} 群发过（msg_id {self.msg_id}），不再发送 / "
                    f"bulletin of {d} already sent at {when} (msg_id {self.msg_id}); nothing to do"
                )
            case Outcome.IN_PROGRESS:
                return (
                    f"{d} 天气短评正由另一进程群发，请稍后查看 / "
                    f"bulletin of {d} is being sent by another run; check again later"
                )
            case _:
                return (
                    f"{d} 天气短评群发失败（第 {self.attempts} 次）：{self.error}；"
                    "稍后再运行将重试 / "
                    f"push of {d} failed (attempt {self.attempts}); a later run retries"
                )


class PushFailed(Exception):
    """The push could not be made; `str()` is the recorded error."""

    def __init__(self, message: str, *, errcode: int | None = None) -> None:
        super().__init__(message[:MAX_ERROR_LENGTH])
        self.errcode = errcode


@dataclass(frozen=True)
class PushContent:
    """What is mass-sent: the article's title and text, and the chart."""

    title: str
    text: str
    source: str
    png: bytes

    def article(self) -> dict[str, str]:
        """What the push row keeps of it: everything but the picture."""
        return {"title": self.title, "text": self.text, "source": self.source}


@dataclass(frozen=True)
class Receipt:
    """The gateway's answer to a mass send."""

    msg_id: int
    duplicate: bool  # the gateway had sent this clientmsgid before: no second send


def push_state(*, session: Session, bulletin_date: date) -> BulletinPushPublic:
    """Whether and when the bulletin of a date was mass-sent."""
    return push_public(session.get(BulletinPush, bulletin_date), bulletin_date)


def push_title(bulletin_date: date, days: int) -> str:
    """`东莞天气 11月26日 未来5天天气预报`."""
    return f"东莞天气 {bulletin_date.month}月{bulletin_date.day}日 未来{days}天天气预报"


def build_content(
    *, session: Session, bulletin_date: date, now: datetime, charts: ChartCache
) -> PushContent:
    """The bulletin (written, else drafted) and the city's 5-day chart for the date."""
    bulletin = bulletin_to_push(session=session, bulletin_date=bulletin_date, now=now)
    served = served_forecast(session=session, division=CITY, forecast_date=bulletin_date)
    try:
        # As GET /v1/forecasts/{location}/chart.png draws it: in the service, one cache for both.
        png = chart_png(served, charts)
    except CJKFontNotFound as exc:
        raise PushFailed(f"无法绘制预报图：服务器未安装中文字体（{exc}）") from None
    if len(png) > MAX_PNG_BYTES:
        raise PushFailed(f"预报图 {len(png)} 字节，超过微信的 1 MB 上限")
    return PushContent(
        title=push_title(bulletin_date, len(served.days)),
        text=bulletin.text,
        source=bulletin.source,
        png=png,
    )


def gateway_failure(response: httpx.Response) -> PushFailed:
    """The error a non-200 answer of the gateway's mass-news endpoint means."""
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    detail = str(problem.get("detail") or response.text[:200] or response.reason_phrase)
    errcode = problem.get("errcode")
    if response.status_code == 502 and isinstance(errcode, int):
        hint = "今日群发次数已用完；" if errcode == QUOTA_ERRCODE else ""
        return PushFailed(
            f"{hint}微信平台拒绝群发 errcode {errcode}（{problem.get('errmsg', '')}）",
            errcode=errcode,
        )
    if response.status_code == 422:
        fields = ", ".join(
            str(e.get("field")) for e in problem.get("errors") or [] if isinstance(e, dict)
        )
        detail = f"{detail} [{fields}]" if fields else detail
    return PushFailed(f"网关答复 HTTP {response.status_code}：{detail}")


class BulletinPusher:
    """Pushes a date's bulletin once, however many runs and processes try (see the module)."""

    def __init__(
        self,
        *,
        engine: Engine,
        gateway_url: str,
        account: str,
        secret: str,
        author: str = "",
        timeout: float = 60.0,
        lease_seconds: float = 300.0,
        wait_seconds: float | None = None,
        charts: ChartCache | None = None,
    ) -> None:
        self.engine = engine
        self.endpoint = f"{gateway_url.rstrip('/')}/internal/wechat/{account}/mass-news"
        self.secret = secret
        self.author = author
        self.timeout = timeout
        self.lease = timedelta(seconds=lease_seconds)
        # Long enough for the holder to render the chart and hear from the gateway.
        self.wait_seconds = (
            timeout + RENDER_ALLOWANCE_SECONDS if wait_seconds is None else wait_seconds
        )
        self.charts = charts if charts is not None else ChartCache(size=4)

    @classmethod
    def from_settings(
        cls, settings: WeatherSettings, engine: Engine, *, charts: ChartCache | None = None
    ) -> BulletinPusher:
        """A pusher configured by the weather settings."""
        return cls(
            engine=engine,
            gateway_url=settings.gateway_url,
            account=settings.bulletin_account,
            secret=settings.shared.internal_token_secret,
            author=settings.bulletin_author,
            timeout=settings.bulletin_timeout_seconds,
            lease_seconds=settings.bulletin_claim_lease_seconds,
            charts=charts,
        )

    # -- the push ---------------------------------------------------------------------------

    def push(self, bulletin_date: date, *, stop: threading.Event | None = None) -> PushResult:
        """Push the bulletin of `bulletin_date` unless it has been sent (see the module)."""
        token = uuid.uuid4().hex
        row = self.claim(bulletin_date, token=token, now=utcnow(), retry_failed=True)
        deadline = time.monotonic() + self.wait_seconds
        while row is not None and row.status == SENDING:
            # Another run holds a fresh claim: wait for it to settle (or for its lease to end).
            if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                return PushResult(Outcome.IN_PROGRESS, bulletin_date, attempts=row.attempts)
            if stop is not None:
                stop.wait(POLL_SECONDS)
            else:
                time.sleep(POLL_SECONDS)
            row = self.claim(bulletin_date, token=token, now=utcnow(), retry_failed=False)
        if row is not None:
            return self._settled(row)
        return self._send(bulletin_date, token)

    def _settled(self, row: BulletinPush) -> PushResult:
        """The result of a run that found the date settled by someone else."""
        if row.status == SENT:
            return PushResult(
                Outcome.ALREADY_SENT,
                row.bulletin_date,
                msg_id=row.msg_id,
                sent_at=local(row.sent_at) if row.sent_at else None,
                attempts=row.attempts,
            )
        # Failed by the run this one waited for: a later run retries, not this one at once.
        return PushResult(
            Outcome.FAILED,
            row.bulletin_date,
            attempts=row.attempts,
            error=row.error,
            errcode=row.errcode,
        )

    def _send(self, bulletin_date: date, token: str) -> PushResult:
        """Build and send, holding the claim; record the outcome."""
        content: PushContent | None = None
        try:
            with Session(self.engine) as session:
                content = build_content(
                    session=session,
                    bulletin_date=bulletin_date,
                    now=now_local(),
                    charts=self.charts,
                )
            receipt = self.send(bulletin_date, content)
        except PushFailed as exc:
            return self.record_failure(bulletin_date, token, error=str(exc), errcode=exc.errcode)
        except Exception as exc:  # recorded: a bug or a database hiccup never holds the date
            log.exception("bulletin push of %s failed unexpectedly", bulletin_date)
            error = f"内部错误（internal error {type(exc).__name__}: {exc}）"
            return self.record_failure(bulletin_date, token, error=error, errcode=None)
        return self.record_sent(bulletin_date, content, receipt)

    def send(self, bulletin_date: date, content: PushContent) -> Receipt:
        """POST the article to the gateway; its receipt, or PushFailed."""
        body = {
            "clientmsgid": bulletin_date.isoformat(),
            "title": content.title,
            "text": content.text,
            "image_png_base64": base64.b64encode(content.png).decode("ascii"),
        }
        if self.author:
            body["author"] = self.author
        token = service_token(secret=self.secret, caller="weather", audience="gateway")
        headers = {
            **propagation_headers(),
            "Authorization": f"Bearer {token}",
            "X-Request-ID": f"bulletin-{bulletin_date.isoformat()}-{uuid.uuid4().hex[:8]}",
        }
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.post(self.endpoint, json=body, headers=headers)
        except httpx.TimeoutException:
            # The send may have happened: the next run's same clientmsgid finds it (duplicate).
            raise PushFailed(f"网关 {self.timeout:g} 秒内未答复（gateway timed out）") from None
        except httpx.HTTPError as exc:
            raise PushFailed(f"网关不可达（gateway unreachable: {type(exc).__name__}）") from None
        if response.status_code != 200:
            raise gateway_failure(response)
        try:
            answer = response.json()
            return Receipt(int(answer["msg_id"]), bool(answer.get("duplicate", False)))
        except (ValueError, KeyError, TypeError):
            raise PushFailed(f"网关答复无法识别：{response.text[:200]}") from None

    # -- the push row -----------------------------------------------------------------------

    def status(self, bulletin_date: date) -> BulletinPush | None:
        """The push row of a date, if any run has tried."""
        with Session(self.engine) as session:
            row = session.get(BulletinPush, bulletin_date)
            if row is not None:
                session.expunge(row)
            return row

    def is_sent(self, bulletin_date: date) -> bool:
        """True when the bulletin of the date has been sent."""
        row = self.status(bulletin_date)
        return row is not None and row.status == SENT

    def claim(
        self, bulletin_date: date, *, token: str, now: datetime, retry_failed: bool
    ) -> BulletinPush | None:
        """Take the date for the run `token`: None when taken, else the row as it stands.

        Takes a date nobody tried, a claim older than the lease and, with `retry_failed`, a failed
        push. Each path is one statement (an insert on the primary key, or an update whose
        condition the database re-checks under the row's lock), so two runs never both win.
        """
        # What holding the claim means, whether the row is inserted or taken over.
        held: dict[str, Any] = {
            "status": SENDING,
            "claim_token": token,
            "claimed_at": now,
            "updated_at": now,
        }
        row = self.status(bulletin_date)
        if row is None:
            with Session(self.engine) as session:
                session.add(
                    BulletinPush(bulletin_date=bulletin_date, attempts=1, created_at=now, **held)
                )
                try:
                    session.commit()
                    return None
                except IntegrityError:  # another run inserted it a moment ago: it holds it
                    session.rollback()
            row = self.status(bulletin_date)
            assert row is not None, "push rows are never deleted"
            return row
        stale = now - self.lease
        if not (
            (row.status == FAILED and retry_failed)
            or (row.status == SENDING and as_utc(row.claimed_at) < stale)
        ):
            return row
        claimable = and_(col(BulletinPush.status) == SENDING, col(BulletinPush.claimed_at) < stale)
        if retry_failed:
            claimable = or_(claimable, col(BulletinPush.status) == FAILED)
        with Session(self.engine) as session:
            taken = session.execute(
                update(BulletinPush)
                .where(col(BulletinPush.bulletin_date) == bulletin_date, claimable)
                .values(attempts=col(BulletinPush.attempts) + 1, **held)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            if taken.rowcount == 1:
                return None
        row = self.status(bulletin_date)
        assert row is not None, "push rows are never deleted"
        return row

    def record_sent(
        self, bulletin_date: date, content: PushContent, receipt: Receipt
    ) -> PushResult:
        """Mark the date sent (whoever holds the claim now: the send happened)."""
        now = utcnow()
        with Session(self.engine) as session:
            session.execute(
                update(BulletinPush)
                .where(
                    col(BulletinPush.bulletin_date) == bulletin_date,
                    col(BulletinPush.status) != SENT,
                )
                .values(
                    status=SENT,
                    sent_at=now,
                    error=None,
                    errcode=None,
                    updated_at=now,
                    **asdict(receipt),
                    **content.article(),
                )
                .execution_options(synchronize_session=False)
            )
            session.commit()
        row = self.status(bulletin_date)
        assert row is not None
        return PushResult(
            Outcome.SENT,
            bulletin_date,
            msg_id=row.msg_id,
            sent_at=local(row.sent_at) if row.sent_at else None,
            attempts=row.attempts,
        )

    def record_failure(
        self, bulletin_date: date, token: str, *, error: str, errcode: int | None
    ) -> PushResult:
        """Mark this run's claim failed, so that a later run retries."""
        error = error[:MAX_ERROR_LENGTH]
        with Session(self.engine) as session:
            session.execute(
                update(BulletinPush)
                .where(
                    col(BulletinPush.bulletin_date) == bulletin_date,
                    col(BulletinPush.claim_token) == token,
                    col(BulletinPush.status) == SENDING,
                )
                .values(status=FAILED, error=error, errcode=errcode, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()
        row = self.status(bulletin_date)
        return PushResult(
            Outcome.FAILED,
            bulletin_date,
            attempts=row.attempts if row is not None else 1,
            error=error,
            errcode=errcode,
        )
