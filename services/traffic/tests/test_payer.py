"""Who pays: the payer's openid is the one WeChat gave at the citizen's sign-in with 东莞交警
(the gateway's internal token carries it), never one named in the request."""

import pytest
from fastapi.testclient import TestClient

from servicekit.errors import Conflict
from servicekit.identity import WechatUser, issue_token
from servicekit.testing import TEST_SECRET
from traffic.payments.orders import SIGN_IN_WITH_MERCHANT, SIGN_IN_WITH_WECHAT, payer_openid
from wechat.demo_citizens import demo_citizen

DGJJ = "wxdev0000000dgjj"
DGTQ = "wxdev0000000dgtq"
# Zhangsan's unpaid red-light decision of the seed.
SEEDED_UNPAID = "4419002600000031"
ZHANGSAN = demo_citizen("zhangsan")


@pytest.mark.parametrize(
    ("wechat", "answer"),
    [
        (WechatUser(appid=DGJJ, openid="o-zhangsan-dgjj"), "o-zhangsan-dgjj"),
        (None, SIGN_IN_WITH_WECHAT),
        (WechatUser(appid=DGTQ, openid="o-zhangsan-dgtq"), SIGN_IN_WITH_MERCHANT),
    ],
)
def test_payer_openid(wechat: WechatUser | None, answer: str) -> None:
    try:
        assert payer_openid(wechat=wechat, appid=DGJJ) == answer
    except Conflict as exc:
        assert exc.detail == answer


def as_zhangsan(wechat: WechatUser | None) -> dict[str, str]:
    """Zhangsan's headers as the gateway sends them, signed in as `wechat` (or not through
    WeChat at all)."""
    token = issue_token(
        secret=TEST_SECRET, audience="traffic", subject=ZHANGSAN.citizen_id, wechat=wechat
    )
    return {"Authorization": f"Bearer {token}"}


def pay(client: TestClient, headers: dict[str, str], **body: str):
    return client.post(
        f"/v1/decisions/{SEEDED_UNPAID}/payments",
        json=body or None,
        headers={**headers, "Idempotency-Key": "payer-test"},
    )


def test_the_payer_is_who_signed_in_whatever_the_body_says(client: TestClient, fake_pay) -> None:
    signed_in = as_zhangsan(WechatUser(appid=DGJJ, openid=ZHANGSAN.openid(DGJJ)))
    created = pay(client, signed_in, openid=demo_citizen("lisi").openid(DGJJ))
    assert created.status_code == 201, created.text
    sent = fake_pay.orders[created.json()["out_trade_no"]]
    assert sent["payer"] == {"openid": ZHANGSAN.openid(DGJJ)}
    assert "openid" not in created.text


@pytest.mark.parametrize(
    ("wechat", "detail"),
    [(None, "请在微信中登录后缴款。"), (WechatUser(appid=DGTQ, openid="o-1"), "东莞交警公众号")],
)
def test_without_a_wechat_sign_in_with_the_merchants_account_nobody_pays(
    client: TestClient, fake_pay, wechat: WechatUser | None, detail: str
) -> None:
    refused = pay(client, as_zhangsan(wechat))
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert detail in refused.json()["detail"]
    assert fake_pay.orders == {}
