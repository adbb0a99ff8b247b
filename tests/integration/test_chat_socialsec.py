"""东莞社保 (and 荔香大朗's office-phone rule) in chat through the sandbox, as citizens use it.

东莞社保 runs in safe mode in development: the sandbox encrypts each message for it and accepts
only an encrypted reply. The gateway asks the sandbox's `/cgi-bin/user/info` who the openid is,
accounts which citizen that unionid is, and socialsec for that citizen's own bound record.
Nothing here talks to the gateway's WeChat endpoint directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

pytestmark = pytest.mark.integration

DGSB = "dgsb"
LXDL = "lxdl"
# The demo citizens' fixed identifiers (services/socialsec/src/socialsec/population_tables.py).
UNMASKED = ("441900199001011231", "441900198505203523", "44190019950808064X", "S19950808")


@pytest.fixture
def sandbox(suite) -> Iterator[httpx.Client]:
    """A client of the sandbox (callbacks take up to 3 x 5 s when the gateway struggles)."""
    with httpx.Client(base_url=suite.sandbox, timeout=20) as client:
        yield client


def say(sandbox: httpx.Client, citizen: str, account: str, text: str) -> str:
    """Follow `account` (no-op when already following) and send `text`; the passive reply."""
    sandbox.put(f"/sandbox/citizens/{citizen}/follows/{account}").raise_for_status()
    answer = sandbox.post(
        f"/sandbox/citizens/{citizen}/conversations/{account}/messages",
        json={"kind": "text", "content": text},
    )
    assert answer.status_code == 201, answer.text
    answers = [line for line in answer.json()["items"] if line["direction"] == "to_citizen"]
    assert [a["kind"] for a in answers] == ["reply"], answers
    assert answers[0]["msgtype"] == "text", answers
    content = answers[0]["content"]["content"]
    assert not any(secret in content for secret in UNMASKED), "an unmasked identifier leaked"
    return content


def test_dgsb_talks_in_safe_mode(sandbox: httpx.Client) -> None:
    accounts = sandbox.get("/sandbox/accounts", params={"limit": 100}).json()["items"]
    assert next(a for a in accounts if a["code"] == DGSB)["mode"] == "safe"


def test_the_office_phone_of_a_town(sandbox: httpx.Client) -> None:
    text = say(sandbox, "lisi", DGSB, "社保电话 大朗")
    assert "83106399" in text and "大朗" in text


def test_a_bound_citizen_sees_the_card_making_progress(sandbox: httpx.Client) -> None:
    text = say(sandbox, "chenxiaomei", DGSB, "社保卡")
    lines = text.splitlines()
    assert lines[0].startswith("社保卡 *****0808"), text
    assert "制卡进度：待领取" in lines
    # Each step reached so far, with its date.
    for stage in ("受理", "制卡中", "待领取"):
        assert any(line.startswith("· 20") and f" {stage}" in line for line in lines), text
    assert "虎门镇社保分局" in text and "领取" in text


def test_an_unbound_citizen_is_told_how_to_bind(sandbox: httpx.Client) -> None:
    text = say(sandbox, "lisi", DGSB, "社保卡")
    assert text.startswith("您还没有绑定社保身份"), text
    assert "姓名、身份证号码和社保卡号" in text and "我的绑定" in text
    # The chat never asks for an ID number: it warns against sending one.
    assert "请不要在聊天中发送身份证号码" in text


def test_lxdl_still_answers_the_office_phone(sandbox: httpx.Client) -> None:
    text = say(sandbox, "lisi", LXDL, "要办社保，可是不知道电话咋办。")
    assert "83106399" in text
