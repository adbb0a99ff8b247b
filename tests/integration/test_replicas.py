"""Replicas are safe: two gateways and two instances of each service on one PostgreSQL and one
Redis (tests/integration/replicas.py), checked through the real protocols with the sandbox
playing WeChat and WeChat Pay.

- a WeChat message delivered to both gateways gets one answer and is handled once;
- rate limits and the failed-credential counter are shared by the gateways;
- each account's access token is fetched once for both gateways;
- the 16:00 bulletin, a scheduled push, the statistics import, the overdue reminders and
  reconciliation run once per period although every replica runs its schedulers;
- a WeChat Pay notification delivered to both traffic instances at once is applied once.

With GUANWEI_COMPOSE=1 (`make compose-test`, every part scaled to two) the gateways are those of
GUANWEI_GATEWAY_URLS and the sandbox GUANWEI_SANDBOX_URL. The limits are the settings' defaults
there, counted per X-Forwarded-For client (compose-test trusts Docker's networks as proxies);
compose-test makes the statistics import due at once and reconciliation run every second, and
the traffic replicas' metrics are read inside their containers; compose's DNS, not a balancer
of the test's, spreads the duplicated payment notification; the reminders are sent by
`python -m inspection send-reminders` in both inspection containers at once (compose-test leaves
their schedule off). The scheduled bulletin skips there: the bulletin scenario pushes today's
itself, one push in each weather replica at once (tests/integration/test_bulletin.py).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.settings import GatewaySettings
from servicekit.cjk import CJKFontNotFound, find_cjk_font
from servicekit.testing import require
from tests.integration.conftest import ROOT
from tests.integration.replicas import FAILURE_LIMIT, STRICT_LIMIT, Replicas, local_replicas
from tests.integration.signin import sign_in
from tests.integration.test_editor_push import follow, png
from wechat.crypto import sign

# One pytest-xdist worker runs the module: the replicas start once and own Redis database 7.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("replicas")]
COMPOSE = os.environ.get("GUANWEI_COMPOSE") == "1"
NEEDS_PROCESSES = pytest.mark.skipif(
    COMPOSE,
    reason="compose mode: this scenario needs the day's schedule due as the processes start, "
    "after citizens follow, which a compose suite shared with the other scenarios cannot be",
)
STAFF_KEY = "dev-staff-key"
STAFF = {"X-Api-Key": STAFF_KEY}  # every staff role in development, registry_admin included
SETTLE_SECONDS = 40
CHAT_ACCOUNTS = ("dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj")
DATACUBE = ("getarticlesummary", "getarticletotal", "getusersummary", "getusercumulate")


@dataclass
class ComposeReplicas:
    """The gateways of a compose run scaled to two, and its sandbox."""

    gateways: list[str]
    sandbox: str = field(
        default_factory=lambda: os.environ.get("GUANWEI_SANDBOX_URL", "http://127.0.0.1:8009")
    )

    @property
    def gateway(self) -> str:
        return self.gateways[0]

    def metrics(self, service: str, port: int) -> list[str]:
        """Each replica's /metrics, read inside its container (compose publishes no service)."""
        read = f"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{port}/metrics').read().decode())"
        return [
            subprocess.run(
                [
                    "docker",
                    "compose",
                    "exec",
                    "-T",
                    f"--index={index}",
                    service,
                    "python",
                    "-c",
                    read,
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
                cwd=ROOT,
            ).stdout
            for index in (1, 2)
        ]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas | ComposeReplicas]:
    """The replicas, started once for the module; the citizens the scheduled work reaches
    follow their accounts before inspection, whose reminders cannot wait, starts."""
    if COMPOSE:
        listed = os.environ.get("GUANWEI_GATEWAY_URLS", "").split(",")
        urls = [url.strip().rstrip("/") for url in listed if url.strip()]
        if len(urls) < 2:
            pytest.fail("GUANWEI_GATEWAY_URLS must name two gateways (comma-separated)")
        yield ComposeReplicas(gateways=urls)
        return
    with local_replicas(Path(tmp_path_factory.mktemp("replicas"))) as running:
        follow(running, "dgtj", "zhangsan")
        follow(running, "dgjj", "zhangsan")
        follow(running, "gxhk", "zhangsan", "lisi")
        # His sign-in through 东莞特检 tells accounts his openid there, which the gateway looks
        # up to deliver inspection's reminders to him.
        with httpx.Client(timeout=30) as browser:
            sign_in(browser, running.gateway, "张三", account="dgtj")
        running.start_last()
        yield running


def eventually(check: Callable[[], Any], *, seconds: float = SETTLE_SECONDS) -> Any:
    """Poll `check` until it returns something truthy; that value."""
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, f"{check.__name__} did not hold in {seconds} s"
        time.sleep(0.25)
    return value


def sample_sum(expositions: list[str], name: str, **labels: str) -> float:
    """The samples of `name` carrying `labels` (and any others), summed over several parts'
    `/metrics` texts."""
    return sum(
        sample.value
        for text in expositions
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def metric_sum(urls: list[str], name: str, **labels: str) -> float:
    """`sample_sum` of the `/metrics` of the parts at `urls`."""
    return sample_sum([httpx.get(f"{url}/metrics").text for url in urls], name, **labels)


def sandbox_stats(replicas: Replicas | ComposeReplicas) -> dict[str, Any]:
    answer = httpx.get(f"{replicas.sandbox}/sandbox/stats")
    assert answer.status_code == 200, answer.text
    return answer.json()


def inbox(replicas: Replicas, citizen: str, account: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{replicas.sandbox}/sandbox/citizens/{citizen}/inbox",
        params={"account": account, "limit": 100},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def mass_sends(replicas: Replicas | ComposeReplicas, account: str) -> list[dict[str, Any]]:
    """Every mass send of `account`, all pages (oldest first: a long-running suite has more
    than one page)."""
    sends: list[dict[str, Any]] = []
    while True:
        answer = httpx.get(
            f"{replicas.sandbox}/sandbox/mass-sends",
            params={"account": account, "limit": 100, "offset": len(sends)},
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        sends += page["items"]
        if not page["items"] or len(sends) >= page["total"]:
            return sends


# -- the WeChat edge --------------------------------------------------------------------------


def signed_callback(account: str, text: str) -> tuple[dict[str, str], bytes]:
    """One plaintext-mode text message as WeChat posts it: the signed query and the XML."""
    timestamp, nonce = str(int(time.time())), secrets.token_hex(6)
    openid = f"o_replica_{secrets.token_hex(4)}"
    query = {
        "signature": sign(f"dev-token-{account}", timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": openid,
    }
    body = (
        f"<xml><ToUserName><![CDATA[gh_{account}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{timestamp}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{secrets.randbelow(10**15)}</MsgId></xml>"
    )
    return query, body.encode()


def test_a_wechat_retry_on_the_other_gateway_gets_the_same_answer_and_no_second_effect(
    replicas: Replicas | ComposeReplicas,
) -> None:
    query, body = signed_callback("dgtq", "天气")
    outcomes = ("answered", "late", "deduplicated")

    def counts() -> dict[str, float]:
        return {
            o: metric_sum(
                replicas.gateways,
                "gateway_wechat_messages_total",
                account="dgtq",
                msg_type="text",
                outcome=o,
            )
            for o in outcomes
        }

    before = counts()

    def deliver(gateway: str) -> httpx.Response:
        return httpx.post(f"{gateway}/wechat/dgtq", params=query, content=body, timeout=15)

    # The first attempt and WeChat's retry at the same moment on different gateways, then a
    # third attempt on the first gateway again.
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(deliver, replicas.gateways))
    answers.append(deliver(replicas.gateways[0]))

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].content == answers[1].content == answers[2].content
    assert "天气" in answers[0].text or "℃" in answers[0].text, answers[0].text
    after = counts()
    handled = sum(after[o] - before[o] for o in ("answered", "late"))
    assert handled == 1, after
    assert after["deduplicated"] - before["deduplicated"] == 2, after


def limits(replicas: Replicas | ComposeReplicas) -> tuple[int, int]:
    """The gateways' strict rate limit and failed-credential limit: the small ones the local
    replicas are given, the settings' defaults under compose."""
    if isinstance(replicas, ComposeReplicas):
        fields = GatewaySettings.model_fields
        return fields["rate_limit_strict"].default, fields["auth_failure_limit"].default
    return STRICT_LIMIT, FAILURE_LIMIT


def test_the_strict_rate_limit_is_counted_across_gateways(
    replicas: Replicas | ComposeReplicas,
) -> None:
    strict, _ = limits(replicas)
    client = {"X-Forwarded-For": "203.0.113.7"}
    lift = "api/v1/inspection/equipment/31104419002015060001"
    # A fixed window per minute: start well inside one, so all the calls fall in it.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    statuses = [
        httpx.get(f"{replicas.gateways[i % 2]}/{lift}", headers=client).status_code
        for i in range(strict + 2)
    ]
    assert statuses == [200] * strict + [429, 429]
    # Another client is not affected.
    other = httpx.get(f"{replicas.gateways[1]}/{lift}", headers={"X-Forwarded-For": "203.0.113.9"})
    assert other.status_code == 200


def test_failed_credentials_are_counted_across_gateways(
    replicas: Replicas | ComposeReplicas,
) -> None:
    _, failures = limits(replicas)
    client = {"X-Forwarded-For": "203.0.113.8"}
    audit = "api/v1/accounts/audit"
    right = httpx.get(f"{replicas.gateways[1]}/{audit}", headers=client | {"X-Api-Key": STAFF_KEY})
    assert right.status_code == 200, right.text
    for attempt in range(failures):
        wrong = {"X-Api-Key": f"not-a-key-{attempt}"}
        answer = httpx.get(f"{replicas.gateways[attempt % 2]}/{audit}", headers=client | wrong)
        assert answer.status_code == 401, answer.text
    for gateway in replicas.gateways:
        locked = httpx.get(f"{gateway}/{audit}", headers=client | {"X-Api-Key": STAFF_KEY})
        assert locked.status_code == 429, locked.text
        assert int(locked.headers["Retry-After"]) > 0


# -- scheduled work ---------------------------------------------------------------------------


@NEEDS_PROCESSES
def test_the_bulletin_goes_out_once_though_both_weather_replicas_push_it(
    replicas: Replicas,
) -> None:
    try:
        find_cjk_font("东莞天气未来5天预报")
    except CJKFontNotFound:
        require("no CJK font installed (Debian: fonts-wqy-microhei): the bulletin's chart")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    def sent() -> list[dict[str, Any]]:
        return [s for s in mass_sends(replicas, "dgtq") if s["clientmsgid"] == today]

    assert len(eventually(sent)) == 1
    state = httpx.get(f"{replicas.gateway}/api/v1/weather/bulletins/{today}/push").json()
    assert state["status"] == "sent", state
    # The replica that lost the claim waited for the winner instead of sending: no refused
    # duplicate (45065) reached the platform either.
    assert "45065" not in sandbox_stats(replicas)["errors"]


def test_a_scheduled_push_is_sent_once_by_the_two_accounts_replicas(
    replicas: Replicas | ComposeReplicas,
) -> None:
    # 东莞特检 is a service account (four pushes a month): the other scenarios' subscription
    # accounts have had their one push of the day when this runs against compose.
    articles = f"{replicas.gateway}/api/v1/accounts/accounts/dgtj/editor/articles"
    body = {
        "title": "两个副本只推送一次",
        "author": "东莞特检",
        "body_html": "<p>电梯年检提醒。</p>",
    }
    created = httpx.post(articles, json=body, headers=STAFF)
    assert created.status_code == 201, created.text
    article = f"{articles}/{created.json()['id']}"
    cover = httpx.put(
        f"{article}/cover", content=png(), headers=STAFF | {"Content-Type": "image/png"}
    )
    assert cover.status_code == 200, cover.text
    refused_before = sandbox_stats(replicas)["errors"].get("45065", 0)
    scheduled = httpx.post(f"{article}/push", json={}, headers=STAFF)
    assert scheduled.status_code in (200, 201, 202), scheduled.text

    def settled() -> dict[str, Any] | None:
        state = httpx.get(f"{article}/push", headers=STAFF).json()
        return None if state["status"] == "scheduled" else state

    pushed = eventually(settled)
    assert pushed["status"] == "sent", pushed
    # Both replicas' push loops looked at it several times more meanwhile.
    time.sleep(2)
    sends = mass_sends(replicas, "dgtj")
    (send,) = [s for s in sends if s["msg_id"] == pushed["msg_id"]]
    assert send["clientmsgid"].startswith("article-push-"), send
    assert [s["msg_id"] for s in sends if s["clientmsgid"] == send["clientmsgid"]] == [
        pushed["msg_id"]
    ]
    # A second send would have reached the platform and been refused as a repeated clientmsgid.
    assert sandbox_stats(replicas)["errors"].get("45065", 0) == refused_before


def test_each_account_s_statistics_day_is_imported_once(
    replicas: Replicas | ComposeReplicas,
) -> None:
    def imported() -> dict[str, int] | None:
        calls = sandbox_stats(replicas)["api_calls"]
        counts = {api: calls.get(f"/datacube/{api}", 0) for api in DATACUBE}
        return counts if min(counts.values()) >= len(CHAT_ACCOUNTS) else None

    eventually(imported)
    # Several more looks of both replicas' schedules: nothing is imported again.
    time.sleep(2)
    calls = sandbox_stats(replicas)["api_calls"]
    assert {api: calls.get(f"/datacube/{api}", 0) for api in DATACUBE} == dict.fromkeys(
        DATACUBE, len(CHAT_ACCOUNTS)
    )


def send_reminders_on_both(replicas: ComposeReplicas) -> None:
    """`python -m inspection send-reminders` in both inspection containers at the same moment,
    once 张三 follows 东莞特检 and has signed in through it (compose-test leaves the schedule
    off: it would have reminded him before)."""
    follow(replicas, "dgtj", "zhangsan")
    with httpx.Client(timeout=30) as browser:
        sign_in(browser, replicas.gateway, "张三", account="dgtj")
    command = ["docker", "compose", "exec", "-T", "--index={}", "inspection"]
    command += ["python", "-m", "inspection", "send-reminders"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(
            pool.map(
                lambda index: subprocess.run(
                    [part.format(index) for part in command],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    cwd=ROOT,
                ),
                (1, 2),
            )
        )
    # 0: all sent or none due (the other replica had them); 1 would be a failed send.
    assert [run.returncode for run in runs] == [0, 0], [run.stdout + run.stderr for run in runs]


def test_an_overdue_reminder_reaches_its_contact_once(
    replicas: Replicas | ComposeReplicas,
) -> None:
    def reminders() -> list[dict[str, Any]]:
        return [m for m in inbox(replicas, "zhangsan", "dgtj") if m["kind"] == "template"]

    if isinstance(replicas, ComposeReplicas):
        send_reminders_on_both(replicas)
    eventually(reminders)
    time.sleep(2)  # several more looks of both replicas
    sent = reminders()
    items = [m["content"]["data"]["equipment"]["value"] for m in sent]
    assert "31104419002012030001" in " ".join(items)  # the overdue lift of his unit
    assert len(items) == len(set(items)), items


def traffic_metrics(replicas: Replicas | ComposeReplicas) -> list[str]:
    """Each traffic replica's /metrics."""
    if isinstance(replicas, ComposeReplicas):
        return replicas.metrics("traffic", 8002)
    return [httpx.get(f"{replicas.url(f'traffic-{side}')}/metrics").text for side in ("a", "b")]


def test_reconciliation_runs_once_per_period_across_traffic_replicas(
    replicas: Replicas | ComposeReplicas,
) -> None:
    name = "traffic_reconciliation_runs_total"
    started = time.time()
    before = traffic_metrics(replicas)
    time.sleep(4)
    after = traffic_metrics(replicas)
    ran = sample_sum(after, name, outcome="ran") - sample_sum(before, name, outcome="ran")
    skipped = sample_sum(after, name, outcome="skipped") - sample_sum(
        before, name, outcome="skipped"
    )
    periods = int(time.time()) - int(started) + 1  # the 1 s periods the window touched
    # Each replica looks about once a second: alone they would have run about twice as often.
    assert 1 <= ran <= periods, (ran, periods)
    assert skipped >= 1, skipped


# -- payments -----------------------------------------------------------------------------------


def test_a_payment_notification_racing_on_both_traffic_replicas_applies_once(
    replicas: Replicas | ComposeReplicas,
) -> None:
    # Under compose the suite's other scenarios have paid and been told before: count from here.
    transitions = "traffic_payment_transitions_total"
    paid_before = sample_sum(traffic_metrics(replicas), transitions, status="success")

    def notices() -> list[dict[str, Any]]:
        return [m for m in inbox(replicas, "zhangsan", "dgjj") if m["kind"] == "template"]

    told_before = len(notices())
    with httpx.Client(timeout=30) as browser:
        me = sign_in(browser, replicas.gateway, "张三")
        api = f"{replicas.gateway}/api/v1/traffic"
        violations = browser.get(f"{api}/me/violations", params={"limit": 100}, headers=me).json()
        number = next(
            v["decision_number"] for v in violations["items"] if v["status"] == "decided_unpaid"
        )
        knobs = f"{replicas.sandbox}/sandbox/pay/knobs"
        assert browser.put(knobs, json={"duplicate": 2}).status_code == 200
        try:
            order = browser.post(
                f"{api}/decisions/{number}/payments",
                headers={**me, "Idempotency-Key": f"replicas-{number}"},
            ).json()
            prepay_id = order["jsapi"]["package"].removeprefix("prepay_id=")
            confirmed = browser.post(f"{replicas.sandbox}/sandbox/pay/{prepay_id}/confirm")
            assert confirmed.status_code == 200, confirmed.text
        finally:
            browser.put(knobs, json={})

        def delivered() -> list[dict[str, Any]]:
            notes = browser.get(
                f"{replicas.sandbox}/sandbox/pay/notifications",
                params={"out_trade_no": order["out_trade_no"]},
            ).json()["items"]
            attempts = [a for n in notes for a in n["attempts"] if a["status_code"]]
            return attempts if len(attempts) >= 2 else []

        attempts = eventually(delivered)
        # Both copies were answered 2xx (the second finds the order paid), one per gateway.
        assert all(200 <= a["status_code"] < 300 for a in attempts), attempts
        if isinstance(replicas, Replicas):  # compose's DNS, not a balancer of ours, spreads them
            notify = "/api/v1/traffic/payments/notify/wechatpay"
            assert replicas.balancer is not None
            served = {g: replicas.balancer.served[(g, notify)] for g in replicas.gateways}
            assert all(count >= 1 for count in served.values()), served

        payment = browser.get(f"{api}/payments/{order['id']}", headers=me).json()
        assert payment["state"]["status"] == "success", payment
        events = browser.get(f"{api}/payments/{order['id']}/events", headers=me).json()["items"]
        assert [e["type"] for e in events].count("paid") == 1, events
        # Whatever moved it (a notification, reconciliation, the citizen's look), once.
        paid = sample_sum(traffic_metrics(replicas), transitions, status="success")
        assert paid - paid_before == 1

        # The 缴款成功 template message, sent by either replica's notice loop, arrives once.
        eventually(lambda: len(notices()) > told_before)
        time.sleep(1.5)
        assert len(notices()) == told_before + 1


# -- the platform access token ----------------------------------------------------------------


def token_fetches(replicas: Replicas | ComposeReplicas) -> Counter[str]:
    """Access tokens the platform handed out, per appid."""
    stats = sandbox_stats(replicas)
    return Counter(stats["token_fetches"]) + Counter(stats["stable_token_fetches"])


def tokens_taken(replicas: Replicas) -> Counter[str]:
    """Tokens the gateways received and took into use, per account code (from their logs).

    The platform also counts a fetch whose answer a gateway gave up waiting for (a loaded
    machine); that token never reached anyone, and the next holder of the lock fetched again.
    """
    taken: Counter[str] = Counter()
    for side in ("a", "b"):
        for line in (replicas.workdir / f"gateway-{side}.log").read_text().splitlines():
            if "fetched a new access token for " in line:
                taken[json.loads(line)["message"].rsplit(" ", 1)[1]] += 1
    return taken


def test_each_account_s_access_token_is_fetched_once_for_both_gateways(
    replicas: Replicas | ComposeReplicas,
) -> None:
    if isinstance(replicas, Replicas):
        # Both gateways published the menus at start, and made every platform call above, with
        # one token per account, fetched by whichever gateway first needed it.
        def published() -> bool:
            return all(
                httpx.get(f"{replicas.sandbox}/sandbox/accounts/{code}/menu").json()["published"]
                for code in ("dgtq", "dgjj")
            )

        eventually(published)
        taken = tokens_taken(replicas)
        assert set(taken) == set(CHAT_ACCOUNTS), taken
        assert set(taken.values()) == {1}, (taken, token_fetches(replicas))

    # The token expires: a personal question to 东莞特检 on each gateway at the same moment needs
    # the platform (who is asking), and the two gateways fetch one new token between them.
    accounts = httpx.get(f"{replicas.sandbox}/sandbox/accounts", params={"limit": 100}).json()
    appid = next(a["appid"] for a in accounts["items"] if a["code"] == "dgtj")
    before = token_fetches(replicas)[appid]
    expired = httpx.post(f"{replicas.sandbox}/sandbox/tokens/{appid}/expire")
    assert expired.status_code == 200, expired.text

    def ask(gateway: str) -> httpx.Response:
        query, body = signed_callback("dgtj", "报检进度")
        return httpx.post(f"{gateway}/wechat/dgtj", params=query, content=body, timeout=15)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(ask, replicas.gateways))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    if isinstance(replicas, Replicas):
        assert tokens_taken(replicas)["dgtj"] == 2, token_fetches(replicas)
    else:
        assert token_fetches(replicas)[appid] - before == 1
