"""Acceptance of the 16:00 bulletin: `python -m weather push-bulletin` run twice one after the
other and twice at the same moment results in exactly one mass send from 东莞天气, recorded by
the sandbox (playing WeChat), carrying the city chart and the bulletin text.

东莞天气 is a subscription account: the sandbox allows it one mass send a day, and the date is
today's (the clientmsgid), so this is the only scenario of the suite that pushes it.
"""

from __future__ import annotations

import html
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.integration.conftest import ROOT, LocalSuite

pytestmark = pytest.mark.integration
PNG = b"\x89PNG\r\n\x1a\n"
STAFF = {"X-Api-Key": "dev-staff-key"}


def push_bulletin(suite, day: str, replica: int = 1) -> subprocess.CompletedProcess[str]:
    """One run of the command, as cron or an operator would start it (under compose, in the
    container of weather's `replica`-th replica)."""
    if isinstance(suite, LocalSuite):
        command = [sys.executable, "-m", "weather", "push-bulletin", "--date", day]
        options = {"env": suite.env, "cwd": suite.workdir}
    else:  # docker compose: in a weather container
        command = ["docker", "compose", "exec", "-T", f"--index={replica}", "weather"]
        command += ["python", "-m", "weather", "push-bulletin", "--date", day]
        options = {"cwd": ROOT}
    return subprocess.run(command, capture_output=True, text=True, timeout=180, **options)


def dgtq_sends(suite, clientmsgid: str) -> list[dict]:
    response = httpx.get(
        f"{suite.sandbox}/sandbox/mass-sends", params={"account": "dgtq", "limit": 100}
    )
    assert response.status_code == 200, response.text
    return [s for s in response.json()["items"] if s["clientmsgid"] == clientmsgid]


def test_push_bulletin_twice_and_at_once_is_one_mass_send_with_chart_and_text(suite) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    gateway = suite.gateway
    # The duty forecaster writes today's bulletin (else the automatic draft would go).
    text = "今天多云到晴，傍晚前后局部有阵雨，气温21～27℃。明天起天气转好，适宜出行。"
    written = httpx.put(
        f"{gateway}/api/v1/weather/bulletins/{today}", json={"text": text}, headers=STAFF
    )
    assert written.status_code == 200, written.text

    # Twice at the same moment, before anything was sent (under compose, one in each weather
    # replica): one sends, the other waits for it and finds it sent.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda replica: push_bulletin(suite, today, replica), (1, 2)))
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    outputs = sorted(run.stdout for run in runs)
    assert sum("already sent" in out for out in outputs) == 1, outputs
    assert sum(f"bulletin of {today} sent" in out for out in outputs) == 1, outputs

    # Twice more, one after the other: each finds it sent and does nothing.
    for _ in range(2):
        run = push_bulletin(suite, today)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "不再发送" in run.stdout and "already sent" in run.stdout

    [send] = dgtq_sends(suite, today)
    assert send["account"] == "dgtq" and send["msgtype"] == "mpnews"
    [article] = send["content"]["articles"]
    month, day = int(today[5:7]), int(today[8:10])
    assert article["title"] == f"东莞天气 {month}月{day}日 未来5天天气预报"
    # The text, as the article's paragraph, and the chart as its cover and inside the article.
    assert f"<p>{html.escape(text)}</p>" in article["content"]
    assert "<img " in article["content"] and article["thumb_url"]
    for url in (article["thumb_url"], article["picurl"]):
        picture = httpx.get(url)
        assert picture.status_code == 200 and picture.content.startswith(PNG), url

    # The weather service records it, and the same msg_id.
    state = httpx.get(f"{gateway}/api/v1/weather/bulletins/{today}/push").json()
    assert state["status"] == "sent" and state["msg_id"] == send["msg_id"]
    assert (state["text"], state["source"], state["attempts"]) == (text, "forecaster", 1)
