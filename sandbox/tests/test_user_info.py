"""`/cgi-bin/user/info`: who an openid of the account is (the gateway's way to a unionid)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from sandbox.state import SandboxState
from wechat.demo_citizens import demo_citizen

Token = Callable[[str], str]
Openid = Callable[[str, str], str]
Follow = Callable[[str, str], None]


def _info(client: TestClient, token: str, openid: str, **params: str) -> dict:
    answer = client.get(
        "/cgi-bin/user/info", params={"access_token": token, "openid": openid, **params}
    )
    assert answer.status_code == 200
    return answer.json()


def test_a_follower_with_unionid_and_subscribe_time(
    client: TestClient, state: SandboxState, token: Token, openid: Openid, follow: Follow
) -> None:
    follow("zhangsan", "dgjj")
    zhangsan = openid("zhangsan", "dgjj")
    info = _info(client, token("dgjj"), zhangsan, lang="zh_CN")
    assert info["subscribe"] == 1 and info["openid"] == zhangsan
    assert info["unionid"] == demo_citizen("zhangsan").unionid
    # Tagged with his town (东城) as he followed, by the operators the sandbox plays.
    town_tag = state.tag_named(state.accounts["dgjj"], "dongcheng")
    assert info["language"] == "zh_CN" and info["tagid_list"] == [town_tag]
    assert abs(info["subscribe_time"] - state.clock.now()) < 5
    assert "nickname" not in info and "errcode" not in info


def test_the_unionid_is_the_same_across_accounts_and_openids_differ(
    client: TestClient, token: Token, openid: Openid
) -> None:
    jj = _info(client, token("dgjj"), openid("lisi", "dgjj"))
    tq = _info(client, token("dgtq"), openid("lisi", "dgtq"))
    assert jj["openid"] != tq["openid"] and jj["unionid"] == tq["unionid"]


def test_someone_not_following_is_subscribe_0_with_ids_only(
    client: TestClient, token: Token, openid: Openid, follow: Follow
) -> None:
    lisi = openid("lisi", "dgjj")
    assert _info(client, token("dgjj"), lisi) == {
        "subscribe": 0,
        "openid": lisi,
        "unionid": demo_citizen("lisi").unionid,
    }
    follow("lisi", "dgjj")
    client.delete("/sandbox/citizens/lisi/follows/dgjj")
    assert _info(client, token("dgjj"), lisi)["subscribe"] == 0


def test_refusals(client: TestClient, token: Token, openid: Openid) -> None:
    # An openid of another account is not this account's user.
    assert _info(client, token("dgjj"), openid("lisi", "dgtq"))["errcode"] == 40003
    assert _info(client, token("dgjj"), "o-nobody")["errcode"] == 40003
    missing = client.get("/cgi-bin/user/info", params={"access_token": token("dgjj")}).json()
    assert missing["errcode"] == 40003
    bad_token = client.get(
        "/cgi-bin/user/info", params={"access_token": "nope", "openid": openid("lisi", "dgjj")}
    ).json()
    assert bad_token["errcode"] in (40001, 40014)
