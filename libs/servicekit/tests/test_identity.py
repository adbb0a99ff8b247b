import time

import jwt
import pytest
from fastapi.testclient import TestClient

from servicekit.errors import Unauthorized
from servicekit.identity import WechatUser, issue_token, service_token, verify_token
from servicekit.testing import TEST_SECRET, mint_token

SECRET = "a-test-secret-long-enough-for-hs256-0123456789"


def test_round_trip() -> None:
    token = issue_token(secret=SECRET, audience="weather", subject="c-1", roles=["forecaster"])
    identity = verify_token(token, secret=SECRET, audience="weather")
    assert identity.subject == "c-1" and identity.roles == {"forecaster"}


@pytest.mark.parametrize(
    ("secret", "audience"),
    [("another-secret-of-enough-length-0123456789", "weather"), (SECRET, "traffic")],
)
def test_wrong_secret_or_audience_is_refused(secret: str, audience: str) -> None:
    token = issue_token(secret=SECRET, audience="weather", subject="c-1")
    with pytest.raises(Unauthorized):
        verify_token(token, secret=secret, audience=audience)


def test_expired_and_overlong_tokens_are_refused() -> None:
    now = int(time.time())
    base = {"iss": "gateway", "aud": "weather", "sub": "c-1", "roles": []}
    expired = jwt.encode({**base, "iat": now - 120, "exp": now - 60}, SECRET, algorithm="HS256")
    overlong = jwt.encode({**base, "iat": now, "exp": now + 3600}, SECRET, algorithm="HS256")
    for token in (expired, overlong):
        with pytest.raises(Unauthorized):
            verify_token(token, secret=SECRET, audience="weather")


def test_ttl_is_capped_at_60_seconds() -> None:
    token = issue_token(secret=SECRET, audience="weather", subject="c-1", ttl_seconds=3600)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="weather")
    assert claims["exp"] - claims["iat"] == 60


def test_personal_endpoint_needs_a_citizen_token(client: TestClient) -> None:
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me").headers["content-type"] == "application/problem+json"
    assert client.get("/v1/me", headers=mint_token("demo", "c-42")).json() == {"citizen": "c-42"}
    assert client.get("/v1/me", headers=mint_token("weather", "c-42")).status_code == 401
    staff = mint_token("demo", "s-1", roles=["forecaster"], kind="staff")
    assert client.get("/v1/me", headers=staff).status_code == 403


def test_role_is_required(client: TestClient) -> None:
    assert client.get("/v1/staff-only", headers=mint_token("demo", "s-1")).status_code == 403
    assert (
        client.get("/v1/staff-only", headers=mint_token("demo", "s-1", kind="staff")).status_code
        == 403
    )
    ok = client.get(
        "/v1/staff-only", headers=mint_token("demo", "s-1", roles=["forecaster"], kind="staff")
    )
    assert ok.json() == {"staff": "s-1"}
    assert TEST_SECRET


def test_service_tokens_speak_only_for_their_issuer() -> None:
    token = service_token(secret=SECRET, caller="accounts", audience="traffic")
    identity = verify_token(token, secret=SECRET, audience="traffic")
    assert identity.kind == "service" and identity.issuer == "accounts"
    forged = issue_token(secret=SECRET, audience="traffic", subject="c-1", issuer="accounts")
    with pytest.raises(Unauthorized):
        verify_token(forged, secret=SECRET, audience="traffic")
    impersonating = issue_token(
        secret=SECRET, audience="traffic", subject="gateway", kind="service", issuer="accounts"
    )
    with pytest.raises(Unauthorized):
        verify_token(impersonating, secret=SECRET, audience="traffic")


def test_internal_endpoint_accepts_only_named_services(client: TestClient) -> None:
    caller = {
        "Authorization": "Bearer "
        + service_token(secret=TEST_SECRET, caller="accounts", audience="demo")
    }
    assert client.get("/v1/internal/ping", headers=caller).json() == {"caller": "accounts"}
    other = {
        "Authorization": "Bearer "
        + service_token(secret=TEST_SECRET, caller="weather", audience="demo")
    }
    assert client.get("/v1/internal/ping", headers=other).status_code == 403
    assert client.get("/v1/internal/ping", headers=mint_token("demo", "c-1")).status_code == 403
    assert client.get("/v1/internal/ping").status_code == 401


def test_a_role_claim_without_a_staff_token_is_refused(client: TestClient) -> None:
    citizen = mint_token("demo", "c-1", roles=["forecaster"])
    service = issue_token(
        secret=TEST_SECRET,
        audience="demo",
        subject="accounts",
        issuer="accounts",
        kind="service",
        roles=["forecaster"],
    )
    for headers in (citizen, {"Authorization": f"Bearer {service}"}):
        response = client.get("/v1/staff-only", headers=headers)
        assert response.status_code == 403
        assert response.json()["detail"] == "此接口仅供工作人员使用。"


def test_a_citizen_token_carries_the_wechat_user_it_signed_in_as() -> None:
    wechat = WechatUser(appid="wxdev0000000dgjj", openid="o-zhangsan")
    token = issue_token(secret=SECRET, audience="traffic", subject="c-1", wechat=wechat)
    assert verify_token(token, secret=SECRET, audience="traffic").wechat == wechat
    plain = issue_token(secret=SECRET, audience="traffic", subject="c-1")
    assert verify_token(plain, secret=SECRET, audience="traffic").wechat is None


@pytest.mark.parametrize(
    "claim",
    ["o-zhangsan", {"appid": "wxdev0000000dgjj"}, {"appid": "", "openid": "o-1"}, {"openid": 7}],
)
def test_a_malformed_wechat_claim_is_refused(claim: object) -> None:
    now = int(time.time())
    claims = {"iss": "gateway", "aud": "traffic", "sub": "c-1", "iat": now, "exp": now + 60}
    token = jwt.encode({**claims, "wx": claim}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized):
        verify_token(token, secret=SECRET, audience="traffic")
