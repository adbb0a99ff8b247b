"""User tags and the mass send to one tag: a town's followers receive it, nobody else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Token = Callable[[str], str]
Follow = Callable[[str, str], None]
Openid = Callable[[str, str], str]
Inbox = Callable[..., list[dict[str, Any]]]
TEXT = {"msgtype": "text", "text": {"content": "大朗镇停水通知"}}


def _post(client: TestClient, path: str, access: str, body: Any) -> dict[str, Any]:
    return client.post(f"/cgi-bin/{path}", params={"access_token": access}, json=body).json()


def _tags(client: TestClient, access: str) -> dict[str, dict[str, int]]:
    answer = client.get("/cgi-bin/tags/get", params={"access_token": access}).json()
    return {tag["name"]: tag for tag in answer["tags"]}


def test_followers_are_tagged_with_their_town_as_they_follow(
    client: TestClient, token: Token, follow: Follow
) -> None:
    follow("zhangsan", "dgtq")  # 东城
    follow("lisi", "dgtq")  # 大朗
    tags = _tags(client, token("dgtq"))
    assert {name: tag["count"] for name, tag in tags.items()} == {"dongcheng": 1, "dalang": 1}
    assert _tags(client, token("dgjj")) == {}


def test_a_mass_send_to_a_tag_reaches_only_its_followers(
    client: TestClient, token: Token, follow: Follow, inbox: Inbox
) -> None:
    for citizen in ("zhangsan", "lisi", "wangwu"):
        follow(citizen, "dgtq")
    access = token("dgtq")
    dalang = _tags(client, access)["dalang"]["id"]
    body = {"filter": {"is_to_all": False, "tag_id": dalang}, **TEXT, "clientmsgid": "dl-1"}
    answer = _post(client, "message/mass/sendall", access, body)
    assert answer["errcode"] == 0
    assert [m["msgid"] for m in inbox("lisi")] == [answer["msg_id"]]
    assert inbox("zhangsan") == [] and inbox("wangwu") == []
    sends = client.get("/sandbox/mass-sends", params={"account": "dgtq"}).json()["items"]
    assert sends[-1]["recipients"] == 1
    # A subscription account's one send a day is used whatever the audience.
    body |= {"clientmsgid": "all-1", "filter": {"is_to_all": True}}
    assert _post(client, "message/mass/sendall", access, body)["errcode"] == 45009


def test_tags_are_created_and_members_added(
    client: TestClient, token: Token, follow: Follow, openid: Openid, inbox: Inbox
) -> None:
    follow("zhangsan", "dgjj")
    follow("chenxiaomei", "dgjj")
    access = token("dgjj")
    created = _post(client, "tags/create", access, {"tag": {"name": "驾校学员"}})
    tag_id = created["tag"]["id"]
    assert created["tag"]["name"] == "驾校学员"
    members = {"openid_list": [openid("chenxiaomei", "dgjj")], "tagid": tag_id}
    assert _post(client, "tags/members/batchtagging", access, members)["errcode"] == 0
    assert _tags(client, access)["驾校学员"]["count"] == 1
    body = {"filter": {"is_to_all": False, "tag_id": tag_id}, **TEXT}
    assert _post(client, "message/mass/sendall", access, body)["errcode"] == 0
    assert len(inbox("chenxiaomei")) == 1 and inbox("zhangsan") == []


@pytest.mark.parametrize(
    ("path", "body", "errcode"),
    [
        ("tags/create", {"tag": {"name": "dongcheng"}}, 45157),
        ("tags/create", {"tag": {"name": "长" * 11}}, 45158),
        ("tags/create", {"tag": {}}, 47001),
        ("tags/members/batchtagging", {"openid_list": ["nobody"], "tagid": "TAG"}, 40003),
        ("tags/members/batchtagging", {"openid_list": [], "tagid": "TAG"}, 40032),
        ("tags/members/batchtagging", {"openid_list": ["x"] * 51, "tagid": "TAG"}, 40032),
        ("tags/members/batchtagging", {"openid_list": ["x"], "tagid": 99999}, 45159),
        ("message/mass/sendall", {"filter": {"is_to_all": False, "tag_id": 99999}, **TEXT}, 40050),
        ("message/mass/sendall", {"filter": {"is_to_all": False}, **TEXT}, 40050),
    ],
)
def test_tag_refusals(
    client: TestClient, token: Token, follow: Follow, path: str, body: dict[str, Any], errcode: int
) -> None:
    follow("zhangsan", "dgtq")
    access = token("dgtq")
    if body.get("tagid") == "TAG":
        body = body | {"tagid": _tags(client, access)["dongcheng"]["id"]}
    assert _post(client, path, access, body)["errcode"] == errcode


@pytest.mark.parametrize("limits", [{"tag_followers_by_town": False}])
def test_the_town_tags_can_be_left_to_the_test(
    client: TestClient, token: Token, follow: Follow, limits: dict[str, Any]
) -> None:
    follow("zhangsan", "dgtq")
    assert _tags(client, token("dgtq")) == {}
