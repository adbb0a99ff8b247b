"""The daily bulletin's mass send: once per date through the gateway, however often it runs.

A fake gateway (served in a thread, like the real one it answers `POST /internal/wechat/{code}/
mass-news` idempotently per clientmsgid) records every call, so the tests can count sends.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.clock import SHANGHAI, utcnow
from servicekit.db import make_engine
from servicekit.identity import verify_token
from servicekit.settings import SharedSettings
from servicekit.testing import TEST_SECRET, free_port, require, serve_in_thread
from weather import cli
from weather.bulletin_push import (
    MAX_PNG_BYTES,
    BulletinPusher,
    Outcome,
    build_content,
    push_title,
)
from weather.bulletin_schedule import (
    BulletinScheduler,
    RetryPolicy,
    app_scheduler,
    backoff_seconds,
    next_run,
)
from weather.bulletins import MAX_LENGTH
from weather.charts import ChartCache
from weather.clock import today_local
from weather.main import create_app
from weather.models import Bulletin, BulletinPush
from weather.settings import WeatherSettings

PNG = b"\x89PNG\r\n\x1a\n"
FIELDS = {"clientmsgid", "title", "text", "image_png_base64", "digest", "author"}

FRESH = {"Cache-Control": "no-cache"}


@dataclass
class FakeGateway:
    """The gateway's mass-news endpoint as services see it; records every call."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    # Answers given (in order) before any send succeeds: (status, problem body).
    refusals: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/internal/wechat/{account}/mass-news")
        def mass_news(account: str, request: Request, body: dict[str, Any]) -> JSONResponse:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            identity = verify_token(token, secret=TEST_SECRET, audience="gateway")
            assert (identity.kind, identity.issuer) == ("service", "weather")
            assert set(body) <= FIELDS, set(body) - FIELDS
            picture = base64.b64decode(body["image_png_base64"])
            assert picture.startswith(PNG) and len(picture) <= MAX_PNG_BYTES
            with self.lock:
                self.calls.append({"account": account, **body, "png": picture})
            clock.sleep(self.delay)
            with self.lock:
                refusal = self.refusals.pop(0) if self.refusals else None
            if refusal is not None:
                status, problem = refusal
                return JSONResponse(problem, status_code=status)
            with self.lock:
                duplicate = body["clientmsgid"] in self.sent
                if not duplicate:
                    self.sent[body["clientmsgid"]] = 1000000001 + len(self.sent)
                msg_id = self.sent[body["clientmsgid"]]
            return JSONResponse({"msg_id": msg_id, "duplicate": duplicate})

        return app


@pytest.fixture
def gateway() -> Iterator[tuple[FakeGateway, str]]:
    fake = FakeGateway()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def cjk_font() -> None:
    try:
        find_cjk_font("东莞天气未来5天预报")
    except CJKFontNotFound:
        require("no CJK font installed (Debian: fonts-wqy-microhei)")


@pytest.fixture
def engine(seeded_database_url: str) -> Iterator[Engine]:
    engine = make_engine(seeded_database_url)
    yield engine
    engine.dispose()


PusherFactory = Callable[..., BulletinPusher]


@pytest.fixture
def make_pusher(
    seeded_database_url: str, gateway: tuple[FakeGateway, str], cjk_font: None
) -> Iterator[PusherFactory]:
    """Pushers as separate processes would have them: each with an engine of its own."""
    engines: list[Engine] = []

    def factory(**overrides: Any) -> BulletinPusher:
        engine = make_engine(seeded_database_url)
        engines.append(engine)
        options: dict[str, Any] = {
            "engine": engine,
            "gateway_url": gateway[1],
            "account": "dgtq",
            "secret": TEST_SECRET,
            "author": "东莞天气",
            "timeout": 10.0,
        }
        return BulletinPusher(**(options | overrides))

    yield factory
    for engine in engines:
        engine.dispose()


def push_row(engine: Engine, day: date) -> BulletinPush | None:
    with Session(engine) as session:
        return session.get(BulletinPush, day)


# -- what is sent ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_push_sends_the_draft_and_the_city_chart_once(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    fake, _ = gateway
    today = today_local()
    first = make_pusher().push(today)
    assert first.outcome is Outcome.SENT and first.exit_code == 0
    assert first.msg_id == 1000000001 and first.attempts == 1
    assert "已群发" in first.message and "sent" in first.message

    [call] = fake.calls
    assert call["account"] == "dgtq" and call["clientmsgid"] == today.isoformat()
    assert call["title"] == f"东莞天气 {today.month}月{today.day}日 未来5天天气预报"
    assert call["author"] == "东莞天气"
    assert call["text"].startswith("东莞市今天") and len(call["text"]) <= MAX_LENGTH
    from PIL import Image

    assert Image.open(io.BytesIO(call["png"])).size == (1080, 1350)

    row = push_row(engine, today)
    assert row is not None and row.status == "sent" and row.msg_id == 1000000001
    assert (row.text, row.source, row.title) == (call["text"], "auto", call["title"])
    assert row.sent_at is not None and row.error is None


@pytest.mark.slow
def test_the_written_bulletin_wins_over_the_draft(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    today = today_local()
    written = "今天多云，傍晚有雷阵雨，下班请带伞。"
    with Session(engine) as session:
        session.add(
            Bulletin(bulletin_date=today, text=written, written_by="staff-wu", written_at=utcnow())
        )
        session.commit()
    assert make_pusher().push(today).outcome is Outcome.SENT
    assert gateway[0].calls[0]["text"] == written
    row = push_row(engine, today)
    assert row is not None and row.source == "forecaster"


@pytest.mark.slow
def test_content_is_built_for_a_past_day_before_15_45_too(engine: Engine, cjk_font: None) -> None:
    past = today_local() - timedelta(days=2)
    with Session(engine) as session:
        content = build_content(
            session=session,
            bulletin_date=past,
            now=datetime.combine(past, time(9, 0), SHANGHAI),
            charts=ChartCache(),
        )
    assert content.source == "auto" and content.text.startswith("东莞市今天")
    assert content.title == push_title(past, 5) and content.png.startswith(PNG)


# -- once per date --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_run_finds_the_date_sent_and_does_nothing(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    today = today_local()
    first = make_pusher().push(today)
    second = make_pusher().push(today)
    assert second.outcome is Outcome.ALREADY_SENT and second.exit_code == 0
    assert second.msg_id == first.msg_id and second.sent_at == first.sent_at
    assert "不再发送" in second.message and "nothing to do" in second.message
    assert len(gateway[0].calls) == 1
    row = push_row(engine, today)
    assert row is not None and row.attempts == 1


@pytest.mark.slow
@pytest.mark.parametrize("runs", [2, 4])
def test_simultaneous_runs_send_once(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine, runs: int
) -> None:
    fake, _ = gateway
    fake.delay = 0.5  # the holder is still sending while the others look
    today = today_local()
    pushers = [make_pusher() for _ in range(runs)]
    barrier = threading.Barrier(runs)
    results = []

    def run(pusher: BulletinPusher) -> None:
        barrier.wait()
        results.append(pusher.push(today))

    threads = [threading.Thread(target=run, args=(p,)) for p in pushers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(fake.calls) == 1
    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["already_sent"] * (runs - 1) + ["sent"]
    assert {r.msg_id for r in results} == {1000000001}
    row = push_row(engine, today)
    assert row is not None and row.status == "sent" and row.attempts == 1


@pytest.mark.slow
def test_a_run_waiting_too_long_for_another_says_so(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    today = today_local()
    now = utcnow()
    with Session(engine) as session:
        session.add(
            BulletinPush(
                bulletin_date=today,
                status="sending",
                claim_token="another-run",
                claimed_at=now,
                attempts=1,
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
    result = make_pusher(wait_seconds=0.3).push(today)
    assert result.outcome is Outcome.IN_PROGRESS and result.exit_code == 3
    assert "另一进程" in result.message and gateway[0].calls == []


@pytest.mark.slow
def test_a_crashed_claim_is_retried_after_its_lease(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    today = today_local()
    long_ago = utcnow() - timedelta(minutes=10)
    with Session(engine) as session:
        session.add(
            BulletinPush(
                bulletin_date=today,
                status="sending",
                claim_token="crashed-run",
                claimed_at=long_ago,
                attempts=1,
                created_at=long_ago,
                updated_at=long_ago,
            )
        )
        session.commit()
    result = make_pusher(lease_seconds=300).push(today)
    assert result.outcome is Outcome.SENT and result.attempts == 2
    assert len(gateway[0].calls) == 1


@pytest.mark.slow
def test_a_late_holder_and_its_successor_record_one_send(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    """A claim that outlived its lease: both runs call, the clientmsgid makes it one send."""
    fake, _ = gateway
    today = today_local()
    slow, quick = make_pusher(lease_seconds=0.2), make_pusher(lease_seconds=0.2)
    fake.delay = 1.0
    results = []
    holder = threading.Thread(target=lambda: results.append(slow.push(today)))
    holder.start()
    clock.sleep(0.6)  # the holder is inside its gateway call, past its lease
    results.append(quick.push(today))
    holder.join(timeout=30)
    assert len(fake.calls) == 2 and len(fake.sent) == 1
    assert {r.msg_id for r in results} == {1000000001}
    row = push_row(engine, today)
    assert row is not None and row.status == "sent" and row.msg_id == 1000000001


# -- failures -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_refused_push_is_recorded_and_a_later_run_retries(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    fake, _ = gateway
    fake.refusals.append(
        (
            502,
            {
                "type": "about:blank",
                "title": "Bad Gateway",
                "status": 502,
                "detail": "微信平台拒绝了群发：errcode 45009（reach max api daily quota limit）",
                "errcode": 45009,
                "errmsg": "reach max api daily quota limit",
            },
        )
    )
    today = today_local()
    failed = make_pusher().push(today)
    assert failed.outcome is Outcome.FAILED and failed.exit_code == 1
    assert failed.errcode == 45009 and "今日群发次数已用完" in (failed.error or "")
    assert "稍后再运行将重试" in failed.message
    row = push_row(engine, today)
    assert row is not None and (row.status, row.errcode, row.msg_id) == ("failed", 45009, None)

    retried = make_pusher().push(today)
    assert retried.outcome is Outcome.SENT and retried.attempts == 2
    assert len(fake.calls) == 2 and len(fake.sent) == 1
    row = push_row(engine, today)
    assert row is not None and (row.status, row.error, row.errcode) == ("sent", None, None)


@pytest.mark.slow
def test_a_gateway_that_is_down_is_a_recorded_failure(
    make_pusher: PusherFactory, engine: Engine
) -> None:
    today = today_local()
    result = make_pusher(gateway_url=f"http://127.0.0.1:{free_port()}").push(today)
    assert result.outcome is Outcome.FAILED and "网关不可达" in (result.error or "")
    row = push_row(engine, today)
    assert row is not None and row.status == "failed" and "unreachable" in (row.error or "")


@pytest.mark.slow
def test_a_gateway_validation_error_names_the_fields(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str]
) -> None:
    gateway[0].refusals.append(
        (422, {"status": 422, "detail": "请求参数有误。", "errors": [{"field": "title"}]})
    )
    result = make_pusher().push(today_local())
    assert result.outcome is Outcome.FAILED
    assert "HTTP 422" in (result.error or "") and "[title]" in (result.error or "")


@pytest.mark.slow
def test_a_run_waiting_for_a_failing_holder_reports_its_failure(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str]
) -> None:
    fake, _ = gateway
    fake.refusals.append((502, {"status": 502, "errcode": -1, "errmsg": "system error"}))
    fake.delay = 0.5  # the other run is waiting when the refusal comes
    today = today_local()
    first, second = make_pusher(), make_pusher()
    barrier = threading.Barrier(2)
    results = []

    def run(pusher: BulletinPusher) -> None:
        barrier.wait()
        results.append(pusher.push(today))

    threads = [threading.Thread(target=run, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(fake.calls) == 1  # the waiting run did not send too
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.FAILED]


# -- the command ----------------------------------------------------------------------------


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli.main(args)
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.mark.slow
def test_the_command_pushes_once_and_says_so(
    seeded_database_url: str,
    gateway: tuple[FakeGateway, str],
    cjk_font: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENV", "dev")
    monkeypatch.setenv("WEATHER_DATABASE_URL", seeded_database_url)
    monkeypatch.setenv("WEATHER_GATEWAY_URL", gateway[1])
    day = (today_local() - timedelta(days=1)).isoformat()
    code, out, _ = run_cli(["push-bulletin", "--date", day], capsys)
    assert code == 0 and f"{day} 天气短评已群发" in out and "msg_id 1000000001" in out
    code, out, _ = run_cli(["push-bulletin", "--date", day], capsys)
    assert code == 0 and "already sent" in out
    assert [c["clientmsgid"] for c in gateway[0].calls] == [day]

    gateway[0].refusals.append((502, {"status": 502, "errcode": 45009, "errmsg": "quota"}))
    code, _, err = run_cli(["push-bulletin"], capsys)
    assert code == 1 and "群发失败" in err and "a later run retries" in err


@pytest.mark.parametrize(
    ("date_arg", "message"),
    [
        (lambda: (today_local() + timedelta(days=1)).isoformat(), "future date"),
        (lambda: (today_local() - timedelta(days=400)).isoformat(), "more than a year ago"),
    ],
)
def test_the_command_refuses_future_and_distant_dates(
    date_arg: Callable[[], str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENV", "dev")
    code, _, err = run_cli(["push-bulletin", "--date", date_arg()], capsys)
    assert code == 2 and message in err


def test_the_command_rejects_a_malformed_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["push-bulletin", "--date", "26/11/2026"], capsys)
    assert code == 2 and "--date" in err


# -- the push state over HTTP ---------------------------------------------------------------


@pytest.mark.slow
def test_push_state_is_served(
    client: TestClient, make_pusher: PusherFactory, gateway: tuple[FakeGateway, str]
) -> None:
    today = today_local()
    path = f"/v1/bulletins/{today}/push"
    before = client.get(path)
    assert before.status_code == 200 and before.headers["etag"]
    assert before.json()["status"] == "not_pushed" and before.json()["msg_id"] is None

    gateway[0].refusals.append((502, {"status": 502, "errcode": 45009, "errmsg": "quota"}))
    make_pusher().push(today)
    # The pusher writes outside the app, which keeps a public answer for a second: ask past it.
    failed = client.get(path, headers=FRESH).json()
    assert (failed["status"], failed["errcode"], failed["attempts"]) == ("failed", 45009, 1)

    make_pusher().push(today)
    sent = client.get(path, headers=FRESH).json()
    assert sent["status"] == "sent" and sent["msg_id"] == 1000000001
    assert sent["sent_at"].endswith("+08:00") and sent["source"] == "auto"
    assert sent["text"] == gateway[0].calls[-1]["text"] and sent["error"] is None
    assert client.get(f"/v1/bulletins/{today + timedelta(days=500)}/push").status_code == 422


# -- the scheduler --------------------------------------------------------------------------


def sh(day: str, hm: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hm), SHANGHAI)


@pytest.mark.parametrize(
    ("now", "handled", "expected"),
    [
        (sh("2026-11-26", "09:00"), None, sh("2026-11-26", "16:00")),
        (sh("2026-11-26", "15:59:59"), None, sh("2026-11-26", "16:00")),
        (sh("2026-11-26", "16:00"), None, sh("2026-11-26", "16:00")),
        # Started after the push time with today not yet sent: push now.
        (sh("2026-11-26", "18:30"), None, sh("2026-11-26", "18:30")),
        (sh("2026-11-26", "23:59:59"), date(2026, 11, 25), sh("2026-11-26", "23:59:59")),
        # Today settled: tomorrow at the push time.
        (sh("2026-11-26", "16:00:05"), date(2026, 11, 26), sh("2026-11-27", "16:00")),
        (sh("2026-11-26", "09:00"), date(2026, 11, 26), sh("2026-11-27", "16:00")),
        (sh("2026-11-26", "23:59"), date(2026, 11, 26), sh("2026-11-27", "16:00")),
        # Yesterday settled, before the push time: today at the push time.
        (sh("2026-11-27", "00:00"), date(2026, 11, 26), sh("2026-11-27", "16:00")),
        # Month and year ends.
        (sh("2026-12-31", "17:00"), date(2026, 12, 31), sh("2027-01-01", "16:00")),
        # The clock in UTC: 07:59 UTC is 15:59 in Shanghai, 08:00 UTC is 16:00.
        (datetime(2026, 11, 26, 7, 59, tzinfo=UTC), None, sh("2026-11-26", "16:00")),
        (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), None, sh("2026-11-26", "16:00")),
        # 20:00 UTC is already the 27th in Shanghai (04:00).
        (datetime(2026, 11, 26, 20, 0, tzinfo=UTC), date(2026, 11, 26), sh("2026-11-27", "16:00")),
    ],
)
def test_next_run(now: datetime, handled: date | None, expected: datetime) -> None:
    assert next_run(now, time(16, 0), handled) == expected


@pytest.mark.parametrize(
    ("push_at", "now", "expected"),
    [
        (time(7, 30), sh("2026-11-26", "06:00"), sh("2026-11-26", "07:30")),
        (time(7, 30), sh("2026-11-26", "08:00"), sh("2026-11-26", "08:00")),
        (time(0, 0), sh("2026-11-26", "00:00"), sh("2026-11-26", "00:00")),
    ],
)
def test_next_run_at_another_push_time(push_at: time, now: datetime, expected: datetime) -> None:
    assert next_run(now, push_at, None) == expected


@pytest.mark.parametrize(
    ("failures", "expected"), [(1, 30.0), (2, 60.0), (3, 120.0), (5, 480.0), (6, 600.0)]
)
def test_backoff_doubles_up_to_the_cap(failures: int, expected: float) -> None:
    assert backoff_seconds(failures=failures, base=30.0, cap=600.0) == expected


@pytest.mark.slow
def test_the_scheduler_retries_a_failed_push_with_backoff(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    fake, _ = gateway
    refusal = (502, {"status": 502, "errcode": -1, "errmsg": "system error"})
    fake.refusals.extend([refusal, refusal])
    scheduler = BulletinScheduler(
        make_pusher(), push_at=time(16, 0), retry=RetryPolicy(3, backoff_base=0.05, backoff_max=0.1)
    )
    today = today_local()
    result = asyncio.run(scheduler.push_with_retries(today))
    assert result is not None and result.outcome is Outcome.SENT and result.attempts == 3
    assert [r.outcome for r in scheduler.results] == [Outcome.FAILED, Outcome.FAILED, Outcome.SENT]
    assert len(fake.calls) == 3 and len(fake.sent) == 1


@pytest.mark.slow
def test_the_scheduler_gives_up_after_its_attempts(
    make_pusher: PusherFactory, gateway: tuple[FakeGateway, str]
) -> None:
    refusal = (502, {"status": 502, "errcode": -1, "errmsg": "system error"})
    gateway[0].refusals.extend([refusal] * 5)
    scheduler = BulletinScheduler(
        make_pusher(),
        push_at=time(16, 0),
        retry=RetryPolicy(2, backoff_base=0.01, backoff_max=0.01),
    )
    result = asyncio.run(scheduler.push_with_retries(today_local()))
    assert result is not None and result.outcome is Outcome.FAILED
    assert len(gateway[0].calls) == 2


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = clock.monotonic() + seconds
    while not condition():
        assert clock.monotonic() < deadline, "timed out"
        clock.sleep(0.05)


def scheduled_settings(url: str, gateway_url: str, **overrides: Any) -> WeatherSettings:
    return WeatherSettings(
        database_url=url,
        shared=SharedSettings(env="dev"),
        gateway_url=gateway_url,
        bulletin_schedule=True,
        **overrides,
    )


@pytest.mark.slow
def test_the_service_started_after_the_push_time_pushes_once_then(
    seeded_database_url: str, gateway: tuple[FakeGateway, str], cjk_font: None, engine: Engine
) -> None:
    fake, url = gateway
    # 00:00: whenever the test runs, the push time of today has passed.
    settings = scheduled_settings(seeded_database_url, url, bulletin_push_at=time(0, 0))
    app = create_app(settings)
    with TestClient(app) as client:
        wait_for(lambda: bool(fake.sent))
        today = today_local()
        state = client.get(f"/v1/bulletins/{today}/push").json()
        assert state["status"] == "sent" and state["msg_id"] == 1000000001
        scheduler = app_scheduler(app)
        assert scheduler is not None
        wait_for(lambda: scheduler.handled == today)
    assert len(fake.calls) == 1
    # Started again (another replica, or a restart): today is sent, nothing more happens.
    with TestClient(create_app(settings)) as client:
        clock.sleep(0.5)
        assert client.get("/healthz").status_code == 200
    assert len(fake.calls) == 1


def test_the_scheduler_is_off_by_default_and_stops_cleanly(
    seeded_database_url: str, gateway: tuple[FakeGateway, str], engine: Engine
) -> None:
    fake, url = gateway
    off = WeatherSettings(database_url=seeded_database_url, shared=SharedSettings(env="dev"))
    assert off.bulletin_schedule is False
    with TestClient(create_app(off)) as client:
        assert app_scheduler(client.app) is None
    # On, with nothing due (today is sent): the service starts, serves and stops at once.
    now = utcnow()
    with Session(engine) as session:
        session.add(
            BulletinPush(
                bulletin_date=today_local(),
                status="sent",
                claim_token="earlier-run",
                claimed_at=now,
                attempts=1,
                msg_id=1,
                sent_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
    later = (datetime.now(SHANGHAI) - timedelta(hours=1)).time().replace(microsecond=0)
    settings = scheduled_settings(seeded_database_url, url, bulletin_push_at=later)
    started = clock.monotonic()
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
    assert clock.monotonic() - started < 10
    assert fake.calls == []


@pytest.mark.slow
def test_a_scheduler_whose_database_fails_keeps_the_service_up(
    gateway: tuple[FakeGateway, str], tmp_path: Any
) -> None:
    # An unmigrated database: every step fails, the service still serves and stops.
    settings = scheduled_settings(f"sqlite:///{tmp_path / 'empty.db'}", gateway[1])
    with TestClient(create_app(settings)) as client:
        clock.sleep(0.3)
        assert client.get("/healthz").status_code == 200
        scheduler = app_scheduler(client.app)
        assert scheduler is not None and not scheduler.stop.is_set()


def test_settings_keep_the_lease_longer_than_a_push() -> None:
    with pytest.raises(ValueError, match="LEASE"):
        WeatherSettings(
            shared=SharedSettings(env="dev"),
            bulletin_timeout_seconds=60,
            bulletin_claim_lease_seconds=30,
        )
