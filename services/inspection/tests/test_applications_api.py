"""Inspection applications over HTTP: a unit contact applies (idempotently, one open application
per piece of equipment), only inspectors move an application, one step at a time, with an audit
trail, the report updates the public standing, and another unit's contact sees and moves
nothing."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from inspection.applications import open_applications
from inspection.contacts import NOT_BOUND_TYPE
from inspection.models import Contact
from inspection.population import Registry
from servicekit.db import make_engine
from servicekit.testing import mint_token, serve_in_thread

Headers = dict[str, str]
# The tests' "now": the conftest's anchor day, at noon in Dongguan.
TODAY = "2026-06-15"
NOON = datetime(2026, 6, 15, 4, tzinfo=UTC)


@dataclass(frozen=True)
class Scene:
    """Two contacts of two units, and equipment of the first unit's to apply for."""

    contact: Headers
    stranger: Headers
    lift: str
    vessel: str
    scrapped: str
    town: str


def first(registry: Registry, **wanted: object) -> dict[str, Any]:
    """The first piece of equipment with the wanted column values."""
    return next(
        e for e in registry.equipment if all(e[name] == value for name, value in wanted.items())
    )


@pytest.fixture
def scene(seeded_database_url: str, registry: Registry) -> Scene:
    """Contact `c-unit-a` of the units of a lift, a vessel and a scrapped item; `c-unit-b` of
    another unit only (rows inserted as a binding would make them)."""
    lift = first(registry, variety_code="3120", status="在用")
    vessel = first(registry, variety_code="2150", status="在用")
    scrapped = first(registry, status="报废")
    mine = {lift["user_unit_code"], vessel["user_unit_code"], scrapped["user_unit_code"]}
    other = next(u["credit_code"] for u in registry.units if u["credit_code"] not in mine)
    bindings = [("c-unit-a", code) for code in mine] + [("c-unit-b", other)]
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        for citizen_id, unit_code in bindings:
            session.add(
                Contact(citizen_id=citizen_id, unit_code=unit_code, created_at=datetime.now(UTC))
            )
        session.commit()
    engine.dispose()
    return Scene(
        contact=mint_token("inspection", "c-unit-a"),
        stranger=mint_token("inspection", "c-unit-b"),
        lift=str(lift["registration_code"]),
        vessel=str(vessel["registration_code"]),
        scrapped=str(scrapped["registration_code"]),
        town=str(lift["town"]),
    )


@pytest.fixture
def inspector() -> Headers:
    """Headers of an inspector (internal tokens live 60 s: enough for one test)."""
    return mint_token("inspection", "staff-li", ["inspector"], kind="staff")


def apply(
    client: TestClient, headers: Headers, key: str, code: str, **extra: Any
) -> httpx.Response:
    return client.post(
        "/v1/me/applications",
        json={"registration_code": code, **extra},
        headers={**headers, "Idempotency-Key": key},
    )


def move(client: TestClient, headers: Headers, number: str, **body: Any) -> httpx.Response:
    return client.post(f"/v1/applications/{number}/transitions", json=body, headers=headers)


def run_at_once(work: Callable[[], httpx.Response], count: int) -> list[httpx.Response]:
    """`count` calls of `work` released together from threads."""
    barrier = threading.Barrier(count)
    results: list[httpx.Response | BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, httpx.Response) for r in results), results
    return results  # type: ignore[return-value]


def test_a_contact_applies_and_a_retry_is_the_same_application(
    client: TestClient, scene: Scene
) -> None:
    made = apply(client, scene.contact, "k-1", scene.lift, preferred_date="2026-06-25", note="物业")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["number"].startswith("BJ20260615") and len(body["number"]) == 16
    assert body["state"] == "受理" and body["category"] == "电梯"
    assert body["preferred_date"] == "2026-06-25" and body["note"] == "物业"
    assert [s["state"] for s in body["steps"]] == ["受理"]
    assert "2026年06月25日" in body["steps"][0]["remark"]
    again = apply(
        client, scene.contact, "k-1", scene.lift, preferred_date="2026-06-25", note="物业"
    )
    assert again.status_code == 200 and again.json()["number"] == body["number"]
    other_body = apply(client, scene.contact, "k-1", scene.lift)
    assert other_body.status_code == 409 and "Idempotency-Key" in other_body.json()["detail"]
    second = apply(client, scene.contact, "k-2", scene.lift)
    assert second.status_code == 409 and body["number"] in second.json()["detail"]
    mine = client.get("/v1/me/applications", headers=scene.contact).json()
    assert mine["total"] == 1 and mine["items"][0]["number"] == body["number"]
    detail = client.get(f"/v1/me/applications/{body['number']}", headers=scene.contact)
    assert detail.status_code == 200 and detail.json() == body


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"registration_code": "3120441900"}, "registration_code"),
        ({"registration_code": "99994419002015060001"}, "registration_code"),
        ({"preferred_date": "2026-06-14"}, "preferred_date"),
        ({"preferred_date": "2026-09-14"}, "preferred_date"),
        ({"note": "备" * 201}, "note"),
        ({"applicant": "someone"}, "applicant"),
    ],
)
def test_bad_submissions_are_422_naming_the_field(
    client: TestClient, scene: Scene, extra: dict[str, Any], field: str
) -> None:
    answer = client.post(
        "/v1/me/applications",
        json={"registration_code": scene.lift, **extra},
        headers={**scene.contact, "Idempotency-Key": "k"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_submissions_refused(client: TestClient, scene: Scene) -> None:
    no_key = client.post(
        "/v1/me/applications", json={"registration_code": scene.lift}, headers=scene.contact
    )
    assert no_key.status_code == 422 and no_key.json()["errors"][0]["field"] == "Idempotency-Key"
    long_key = apply(client, scene.contact, "k" * 65, scene.lift)
    assert long_key.status_code == 422
    unknown = apply(client, scene.contact, "a", "31104419002015069999")
    assert unknown.status_code == 404 and "未找到该设备" in unknown.json()["detail"]
    not_mine = apply(client, scene.stranger, "b", scene.lift)
    assert not_mine.status_code == 404 and not_mine.json()["type"] == NOT_BOUND_TYPE
    scrapped = apply(client, scene.contact, "c", scene.scrapped)
    assert scrapped.status_code == 409 and "报废" in scrapped.json()["detail"]
    no_token = client.post(
        "/v1/me/applications",
        json={"registration_code": scene.lift},
        headers={"Idempotency-Key": "d"},
    )
    assert no_token.status_code == 401
    staff = apply(
        client, mint_token("inspection", "staff-li", ["inspector"], kind="staff"), "e", scene.lift
    )
    assert staff.status_code == 403


@pytest.mark.slow
def test_concurrent_submissions_with_one_key_make_one_application(
    client: TestClient, scene: Scene
) -> None:
    with serve_in_thread(client.app) as base:
        answers = run_at_once(
            lambda: httpx.post(
                f"{base}/v1/me/applications",
                json={"registration_code": scene.lift},
                headers={**scene.contact, "Idempotency-Key": "race"},
                timeout=30,
            ),
            8,
        )
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201], [a.text for a in answers]
    assert len({a.json()["number"] for a in answers}) == 1
    assert client.get("/v1/me/applications", headers=scene.contact).json()["total"] == 1


@pytest.mark.slow
def test_concurrent_submissions_for_one_item_leave_one_open(
    client: TestClient, scene: Scene
) -> None:
    keys = iter(range(8))
    with serve_in_thread(client.app) as base:
        answers = run_at_once(
            lambda: httpx.post(
                f"{base}/v1/me/applications",
                json={"registration_code": scene.lift},
                headers={**scene.contact, "Idempotency-Key": f"k-{next(keys)}"},
                timeout=30,
            ),
            8,
        )
    made = [a for a in answers if a.status_code == 201]
    assert len(made) == 1, [a.text for a in answers]
    refused = [a for a in answers if a.status_code == 409]
    assert len(refused) == 7
    assert all(made[0].json()["number"] in a.json()["detail"] for a in refused)


def test_an_inspector_moves_one_step_at_a_time_to_the_report(
    client: TestClient, scene: Scene, inspector: Headers
) -> None:
    number = apply(client, scene.contact, "k", scene.lift).json()["number"]
    for skipped in (
        {"to": "检验中"},
        {"to": "出具报告", "inspected_on": TODAY, "conclusion": "合格"},
    ):
        refused = move(client, inspector, number, **skipped)
        assert refused.status_code == 409 and "下一步只能是“已排期”" in refused.json()["detail"]
    late = move(client, inspector, number, to="已排期", scheduled_date="2026-09-14")
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "scheduled_date"
    scheduled = move(client, inspector, number, to="已排期", scheduled_date=TODAY)
    assert scheduled.status_code == 200 and scheduled.json()["scheduled_date"] == TODAY
    assert move(client, inspector, number, to="受理").status_code == 409  # never back
    assert move(client, inspector, number, to="已排期", scheduled_date=TODAY).status_code == 409
    assert move(client, inspector, number, to="检验中").status_code == 200
    unfit = move(
        client, inspector, number, to="出具报告", inspected_on=TODAY, conclusion="符合要求"
    )
    assert unfit.status_code == 422 and unfit.json()["errors"][0]["field"] == "conclusion"
    report = move(client, inspector, number, to="出具报告", inspected_on=TODAY, conclusion="合格")
    assert report.status_code == 200, report.text
    issued = report.json()
    assert issued["state"] == "出具报告" and issued["next_due"] == "2027-06-15"
    assert issued["report_code"] is not None and len(issued["report_code"]) == 16
    assert move(client, inspector, number, to="出具报告").status_code == 409

    followed = client.get(f"/v1/me/applications/{number}", headers=scene.contact).json()
    assert [s["state"] for s in followed["steps"]] == ["受理", "已排期", "检验中", "出具报告"]
    assert "已安排于2026年06月15日检验" in followed["steps"][1]["remark"]
    assert "下次检验日期2027年06月15日" in followed["steps"][3]["remark"]
    standing = client.get(f"/v1/equipment/{scene.lift}").json()
    assert standing["last_inspection"] == TODAY and standing["conclusion"] == "合格"
    assert standing["next_due"] == "2027-06-15" and standing["overdue"] is False

    trail = client.get(
        "/v1/audit", params={"entity": "application", "entity_id": number}, headers=inspector
    ).json()
    assert [e["changes"]["state"] for e in reversed(trail["items"])] == [
        ["受理", "已排期"],
        ["已排期", "检验中"],
        ["检验中", "出具报告"],
    ]
    assert {e["actor"] for e in trail["items"]} == {"staff-li"}
    equipment = client.get(
        "/v1/audit", params={"entity": "equipment", "entity_id": scene.lift}, headers=inspector
    ).json()["items"]
    assert len(equipment) == 1 and equipment[0]["changes"]["next_due"][1] == "2027-06-15"
    # Reported, the item may be applied for again.
    assert apply(client, scene.contact, "k-next", scene.lift).status_code == 201


def test_a_vessel_report_grades_its_safety_level(
    client: TestClient, scene: Scene, inspector: Headers
) -> None:
    number = apply(client, scene.contact, "k", scene.vessel).json()["number"]
    move(client, inspector, number, to="已排期", scheduled_date=TODAY)
    move(client, inspector, number, to="检验中")
    report = {"to": "出具报告", "inspected_on": TODAY, "conclusion": "基本符合要求"}
    ungraded = move(client, inspector, number, **report)
    assert ungraded.status_code == 422 and ungraded.json()["errors"][0]["field"] == "safety_level"
    assert move(client, inspector, number, **report, safety_level=6).status_code == 422
    graded = move(client, inspector, number, **report, safety_level=3)
    assert graded.status_code == 200 and graded.json()["next_due"] == "2029-06-15"
    standing = client.get(f"/v1/equipment/{scene.vessel}").json()
    assert standing["safety_level"] == 3 and standing["next_due"] == "2029-06-15"


@pytest.mark.slow
def test_two_inspectors_moving_at_once_one_wins(
    client: TestClient, scene: Scene, inspector: Headers
) -> None:
    number = apply(client, scene.contact, "k", scene.lift).json()["number"]
    with serve_in_thread(client.app) as base:
        answers = run_at_once(
            lambda: httpx.post(
                f"{base}/v1/applications/{number}/transitions",
                json={"to": "已排期", "scheduled_date": TODAY},
                headers=inspector,
                timeout=30,
            ),
            6,
        )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, [a.text for a in answers]
    steps = client.get(f"/v1/me/applications/{number}", headers=scene.contact).json()["steps"]
    assert [s["state"] for s in steps] == ["受理", "已排期"]


def test_only_inspectors_list_move_and_read_the_audit(
    client: TestClient, scene: Scene, inspector: Headers
) -> None:
    number = apply(client, scene.contact, "k", scene.lift).json()["number"]
    forecaster = mint_token("inspection", "staff-wu", ["forecaster"], kind="staff")
    citizen_with_role = mint_token("inspection", "c-unit-a", ["inspector"])
    calls = [
        (
            "POST",
            f"/v1/applications/{number}/transitions",
            {"to": "已排期", "scheduled_date": TODAY},
        ),
        ("GET", "/v1/applications", None),
        ("GET", f"/v1/applications/{number}", None),
        ("GET", "/v1/audit", None),
    ]
    for method, path, body in calls:
        assert client.request(method, path, json=body).status_code == 401, path
        for headers in (scene.contact, citizen_with_role, forecaster):
            answer = client.request(method, path, json=body, headers=headers)
            assert answer.status_code == 403, (path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/applications/{number}", headers=inspector).json()["state"] == "受理"


def test_another_unit_s_contact_neither_sees_nor_moves(client: TestClient, scene: Scene) -> None:
    number = apply(client, scene.contact, "k", scene.lift).json()["number"]
    hidden = client.get(f"/v1/me/applications/{number}", headers=scene.stranger)
    unknown = client.get("/v1/me/applications/BJ20260615999999", headers=scene.stranger)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == unknown.json()["detail"]
    assert client.get("/v1/me/applications", headers=scene.stranger).json()["total"] == 0
    unbound = mint_token("inspection", "c-no-unit")
    assert client.get("/v1/me/applications", headers=unbound).json() == {"items": [], "total": 0}
    assert client.get(f"/v1/me/applications/{number}", headers=unbound).status_code == 404
    moved = move(client, scene.stranger, number, to="已排期", scheduled_date=TODAY)
    assert moved.status_code == 403
    assert client.get(f"/v1/me/applications/{number}").status_code == 401
    assert client.get("/v1/me/applications").status_code == 401


def test_lists_filter_by_state_and_town(
    client: TestClient, scene: Scene, inspector: Headers, registry: Registry
) -> None:
    lift = apply(client, scene.contact, "k-1", scene.lift).json()["number"]
    vessel = apply(client, scene.contact, "k-2", scene.vessel).json()["number"]
    move(client, inspector, vessel, to="已排期", scheduled_date=TODAY)
    scheduled = client.get("/v1/me/applications", params={"state": "已排期"}, headers=scene.contact)
    assert [a["number"] for a in scheduled.json()["items"]] == [vessel]
    accepted = client.get("/v1/applications", params={"state": "受理"}, headers=inspector).json()
    assert lift in {a["number"] for a in accepted["items"]}
    assert vessel not in {a["number"] for a in accepted["items"]}
    town_name = next(a["town"] for a in accepted["items"] if a["number"] == lift)
    for town in (scene.town, town_name):
        found = client.get("/v1/applications", params={"town": town}, headers=inspector).json()
        assert lift in {a["number"] for a in found["items"]}
        assert {a["town"] for a in found["items"]} == {town_name}
    bad_town = client.get("/v1/applications", params={"town": "火星"}, headers=inspector)
    assert bad_town.status_code == 422 and bad_town.json()["errors"][0]["field"] == "town"
    bad_state = client.get("/v1/applications", params={"state": "已完成"}, headers=inspector)
    assert bad_state.status_code == 422 and bad_state.json()["errors"][0]["field"] == "state"


def test_open_applications_keep_reports_for_30_days(
    client: TestClient, scene: Scene, inspector: Headers, seeded_database_url: str
) -> None:
    done = apply(client, scene.contact, "k-1", scene.lift).json()["number"]
    move(client, inspector, done, to="已排期", scheduled_date=TODAY)
    move(client, inspector, done, to="检验中")
    move(client, inspector, done, to="出具报告", inspected_on=TODAY, conclusion="合格")
    pending = apply(client, scene.contact, "k-2", scene.vessel).json()["number"]
    engine = make_engine(seeded_database_url)
    with Session(engine) as session:
        now = [a.number for a in open_applications(session, citizen_id="c-unit-a", now=NOON)]
        later = open_applications(session, citizen_id="c-unit-a", now=NOON + timedelta(days=31))
        strangers = open_applications(session, citizen_id="c-unit-b", now=NOON)
    engine.dispose()
    assert now == [pending, done]
    assert [a.number for a in later] == [pending]
    assert strangers == []


def test_a_contact_lists_only_open_applications_when_asked(
    client: TestClient, scene: Scene, inspector: Headers
) -> None:
    done = apply(client, scene.contact, "k-1", scene.lift).json()["number"]
    move(client, inspector, done, to="已排期", scheduled_date=TODAY)
    move(client, inspector, done, to="检验中")
    move(client, inspector, done, to="出具报告", inspected_on=TODAY, conclusion="合格")
    pending = apply(client, scene.contact, "k-2", scene.vessel).json()["number"]
    listed = {
        flag: client.get("/v1/me/applications", params=params, headers=scene.contact).json()
        for flag, params in (("all", {}), ("open", {"open": "true"}), ("no", {"open": "false"}))
    }
    assert [a["number"] for a in listed["all"]["items"]] == [pending, done]
    assert listed["open"] == {"items": [listed["all"]["items"][0]], "total": 1}
    assert listed["no"] == listed["all"]
    both = {"open": "true", "state": "出具报告"}
    assert client.get("/v1/me/applications", params=both, headers=scene.contact).json() == {
        "items": [],
        "total": 0,
    }
