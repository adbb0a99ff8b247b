"""A citizen sees who read their records and takes their data (PIPL Art. 45), end to end.

陈晓梅 signs in through WeChat OAuth (the sandbox's page), reads her traffic, social-security
and accounts records through the gateway, finds each read in that service's access log, and
downloads the export: every service's section, her identifiers in full, the export itself in
every access log. Nothing but the gateway and the sandbox is spoken to.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gateway.settings import SERVICES
from tests.integration.signin import sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def newest_read(browser: httpx.Client, api: str, me: dict[str, str]) -> dict[str, str]:
    log = browser.get(f"{api}/me/access-log", headers=me)
    assert log.status_code == 200, log.text
    return dict(log.json()["items"][0])


def test_a_citizen_sees_her_reads_and_takes_her_data(suite, browser) -> None:
    gateway = suite.gateway
    me = sign_in(browser, gateway, "陈晓梅")
    reads = {
        "traffic": ("/me/violations", "violations"),
        "socialsec": ("/me/card", "card"),
        "accounts": ("/me", "profile"),
    }
    for service, (path, resource) in reads.items():
        api = f"{gateway}/api/v1/{service}"
        assert browser.get(api + path, headers=me).status_code == 200, service
        assert newest_read(browser, api, me)["resource"] == resource, service
    traffic_read = newest_read(browser, f"{gateway}/api/v1/traffic", me)
    assert (traffic_read["reader"], traffic_read["reader_text"]) == ("citizen", "本人")

    answer = browser.get(f"{gateway}/api/v1/me/export", headers=me)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment;")
    document = answer.json()
    assert set(document["services"]) == set(SERVICES)
    assert document["services"]["weather"] == {}
    # Not a contact of any user unit: inspection's sections are there, and empty.
    inspection = document["services"]["inspection"]
    assert set(inspection) == {"contacts", "binding_failures", "applications"}
    assert all(records == [] for records in inspection.values())
    traffic, socialsec = document["services"]["traffic"], document["services"]["socialsec"]
    accounts = document["services"]["accounts"]
    # Her identifiers in full, here only.
    assert [v["plate"] for v in traffic["vehicles"]] == ["粤SF36999"]
    assert [p["id_number"] for p in socialsec["insured_persons"]] == ["44190019950808064X"]
    assert [c["id"] for c in accounts["citizens"]] == [document["citizen_id"]]
    assert accounts["openids"] and all("*" not in o["openid"] for o in accounts["openids"])
    for name in ("traffic", "socialsec", "accounts"):
        section = document["services"][name]
        assert section["access_log"][-1]["resource"] == "export", name
        newest = newest_read(browser, f"{gateway}/api/v1/{name}", me)
        assert (newest["resource"], newest["resource_text"]) == ("export", "数据导出"), name


def test_another_citizens_export_holds_nothing_of_hers(suite, browser) -> None:
    lisi = sign_in(browser, suite.gateway, "李四")
    answer = browser.get(f"{suite.gateway}/api/v1/me/export", headers=lisi)
    assert answer.status_code == 200, answer.text
    assert "粤SF36999" not in answer.text and "44190019950808064X" not in answer.text
    assert browser.get(f"{suite.gateway}/api/v1/me/export").status_code == 401
