"""Contacts of user units: binding by credit code + unit name + certificate number, refusals that
do not say which part, throttling, a unit's equipment for its contacts only, unbinding, consent
withdrawal and the data export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from inspection.codes import credit_check_char
from inspection.contacts import (
    NOT_BOUND_TYPE,
    REFUSED,
    name_key,
    proves,
    require_contact,
    unit_codes_of,
)
from inspection.main import create_app
from inspection.models import Application, ApplicationStep, Contact, Equipment, UserUnit
from inspection.population import DEMO_LIFT, DEMO_OVERDUE_LIFT, Registry
from inspection.seed import seed_at
from inspection.settings import InspectionSettings
from inspection.unit_equipment import is_due
from servicekit.answers import CITIZEN_HEADER
from servicekit.clock import SHANGHAI, current_time
from servicekit.contract_checks import assert_bindings_deletion_contract
from servicekit.db import make_engine
from servicekit.errors import NotFound
from servicekit.settings import SharedSettings
from servicekit.testing import mint_token, service_headers
from wechat.demo_citizens import demo_citizen

ZHANGSAN = demo_citizen("zhangsan").citizen_id
LISI = demo_citizen("lisi").citizen_id
UNITS = "/v1/me/units"
# The conftest's anchor: the registry's "today", and noon of it as the app's "now".
TODAY = date(2026, 6, 15)
NOON = datetime(2026, 6, 15, 12, tzinfo=SHANGHAI).astimezone(UTC)


def headers_of(citizen_id: str) -> dict[str, str]:
    """A citizen's token as the gateway sends it."""
    return mint_token("inspection", citizen_id)


@pytest.fixture(scope="module")
def demo(registry: Registry) -> dict[str, str]:
    """The proof of the demo lift's user unit, as printed on its papers."""
    lift = next(e for e in registry.equipment if e["registration_code"] == DEMO_LIFT)
    unit = next(u for u in registry.units if u["credit_code"] == lift["user_unit_code"])
    return {
        "credit_code": str(unit["credit_code"]),
        "unit_name": str(unit["name"]),
        "certificate_number": str(lift["certificate_number"]),
    }


@pytest.fixture(scope="module")
def other(registry: Registry, demo: dict[str, str]) -> dict[str, str]:
    """The proof of another unit that has equipment."""
    item = next(e for e in registry.equipment if e["user_unit_code"] != demo["credit_code"])
    unit = next(u for u in registry.units if u["credit_code"] == item["user_unit_code"])
    return {
        "credit_code": str(unit["credit_code"]),
        "unit_name": str(unit["name"]),
        "certificate_number": str(item["certificate_number"]),
    }


def equipment_path(code: str) -> str:
    return f"{UNITS}/{code}/equipment"


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("东莞市新宇食品有限公司", "东莞市新宇食品有限公司"),
        (" 东莞市新宇 食品有限公司 ", "东莞市新宇食品有限公司"),
        ("东莞市新宇(集团)有限公司", "东莞市新宇（集团）有限公司"),
    ],
)
def test_names_compare_without_spaces_and_bracket_widths(given: str, stored: str) -> None:
    assert name_key(given) == name_key(stored)


UNIT = UserUnit(credit_code="91441900MAFJB9QKTT", name="东莞市新宇食品有限公司", town="nancheng")


def item(unit_code: str = UNIT.credit_code, status: Any = "在用") -> Equipment:
    return Equipment(
        registration_code="31104419002015060001",
        certificate_number="梯11粤S00001(15)",
        variety_code="3110",
        user_unit_code=unit_code,
        address="",
        town="nancheng",
        in_service=date(2015, 6, 15),
        status=status,
    )


@pytest.mark.parametrize(
    ("unit", "name", "equipment", "expected"),
    [
        (UNIT, "东莞市新宇食品有限公司", item(), True),
        (UNIT, "东莞市新宇食品有限公司", item(status="停用"), True),
        (UNIT, "东莞市新宇食品股份有限公司", item(), False),
        (UNIT, "东莞市新宇食品有限公司", item(unit_code="91441900MAHKED7W6Q"), False),
        (UNIT, "东莞市新宇食品有限公司", item(status="报废"), False),
        (UNIT, "东莞市新宇食品有限公司", None, False),
        (None, "东莞市新宇食品有限公司", item(), False),
    ],
)
def test_a_proof_needs_the_units_name_and_its_equipment_still_on_its_books(
    unit: UserUnit | None, name: str, equipment: Equipment | None, expected: bool
) -> None:
    assert proves(unit=unit, unit_name=name, equipment=equipment) is expected


def standing(status: Any = "在用", next_due: date | None = None, last: date | None = None) -> Any:
    equipment = item(status=status)
    equipment.next_due, equipment.last_inspection = next_due, last
    return equipment


@pytest.mark.parametrize(
    ("equipment", "within", "expected"),
    [
        (standing(next_due=TODAY + timedelta(days=30)), 30, True),
        (standing(next_due=TODAY + timedelta(days=31)), 30, False),
        (standing(next_due=TODAY), 0, True),
        (standing(next_due=TODAY - timedelta(days=1)), 0, True),
        # Failed its last inspection and still registered in use: overdue.
        (standing(last=TODAY - timedelta(days=90)), 0, True),
        # Never inspected and no date yet (a new vessel awaiting its first date).
        (standing(), 366, False),
        (standing(status="停用", next_due=TODAY - timedelta(days=1)), 30, False),
        (standing(status="报废"), 30, False),
    ],
)
def test_due_within_days_means_in_use_and_due_soon_or_overdue(
    equipment: Equipment, within: int, expected: bool
) -> None:
    assert is_due(equipment=equipment, today=TODAY, within_days=within) is expected


# --- binding -----------------------------------------------------------------------------------


def test_lisi_binds_the_unit_with_its_real_papers(client: TestClient, demo: dict[str, str]) -> None:
    lisi = headers_of(LISI)
    assert client.get(UNITS, headers=lisi).json() == {"items": [], "total": 0}
    # Typed as people type: lower case and spaces in the code, full-width brackets.
    typed = {
        "credit_code": " ".join(demo["credit_code"].lower()[i : i + 6] for i in (0, 6, 12)),
        "unit_name": demo["unit_name"],
        "certificate_number": demo["certificate_number"].replace("(", "（").replace(")", "）"),
    }
    created = client.post(UNITS, json=typed, headers=lisi)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body | {"id": 0, "created_at": ""} == {
        "id": 0,
        "credit_code": demo["credit_code"],
        "unit_name": "东莞市新宇食品有限公司",
        "town": "南城街道",
        "created_at": "",
    }
    assert body["created_at"].startswith("2026-06-15T12:00:00") and body["created_at"].endswith(
        "+08:00"
    )
    assert client.get(UNITS, headers=lisi).json() == {"items": [body], "total": 1}
    again = client.post(UNITS, json=demo, headers=lisi)
    assert again.status_code == 409
    assert again.json()["detail"] == "您已是该使用单位的联系人，无需重复绑定。"
    assert client.get(equipment_path(demo["credit_code"]), headers=lisi).status_code == 200


def test_zhangsan_is_the_seeded_contact_of_the_demo_unit(
    client: TestClient, demo: dict[str, str], seeded_database_url: str
) -> None:
    [unit] = client.get(UNITS, headers=headers_of(ZHANGSAN)).json()["items"]
    assert (unit["credit_code"], unit["unit_name"]) == (demo["credit_code"], demo["unit_name"])
    engine = make_engine(seeded_database_url)
    try:
        with Session(engine) as session:
            assert unit_codes_of(session, citizen_id=ZHANGSAN) == [demo["credit_code"]]
            assert unit_codes_of(session, citizen_id=LISI) == []
            contact = require_contact(session, citizen_id=ZHANGSAN, unit_code=demo["credit_code"])
            assert contact.id == unit["id"]
            with pytest.raises(NotFound):
                require_contact(session, citizen_id=LISI, unit_code=demo["credit_code"])
    finally:
        engine.dispose()


def test_each_wrong_part_is_refused_alike(
    client: TestClient, demo: dict[str, str], other: dict[str, str]
) -> None:
    lisi = headers_of(LISI)
    wrong = [
        {**demo, "unit_name": "东莞市新宇食品股份有限公司"},
        # Another unit's real certificate.
        {**demo, "certificate_number": other["certificate_number"]},
        # Another unit's real code: its name and the certificate do not go with it.
        {**demo, "credit_code": other["credit_code"]},
        # A well-formed certificate number nobody holds.
        {**demo, "certificate_number": "梯11粤S99999(15)"},
    ]
    bodies = []
    for proof in wrong:
        response = client.post(UNITS, json=proof, headers=lisi)
        assert response.status_code == 422, proof
        bodies.append(response.json() | {"instance": ""})
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["detail"] == REFUSED
    assert [e["field"] for e in bodies[0]["errors"]] == [
        "credit_code",
        "unit_name",
        "certificate_number",
    ]
    # Under the throttle's limit the right proof still binds.
    assert client.post(UNITS, json=demo, headers=lisi).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_code", "91441900MAFJB9QKT"),
        ("credit_code", "91441900MAFJB9QKT1"),
        ("credit_code", "91441900MAFJB9QKTO"),
        ("certificate_number", "梯11粤S00000(15)"),
        ("certificate_number", "11粤S00001(15)"),
    ],
)
def test_malformed_codes_are_422_naming_the_field_and_not_counted(
    client: TestClient, demo: dict[str, str], field: str, value: str
) -> None:
    lisi = headers_of(LISI)
    for _ in range(6):
        response = client.post(UNITS, json={**demo, field: value}, headers=lisi)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
        assert response.json()["detail"] != REFUSED
    assert client.post(UNITS, json=demo, headers=lisi).status_code == 201


def test_oversized_and_missing_fields_are_422(client: TestClient, demo: dict[str, str]) -> None:
    lisi = headers_of(LISI)
    for body in ({**demo, "unit_name": "公" * 65}, {**demo, "credit_code": ""}, {}):
        assert client.post(UNITS, json=body, headers=lisi).status_code == 422


@pytest.fixture
def strict_client(seeded_database_url: str) -> Iterator[TestClient]:
    """The app with a throttle of 3 refusals an hour."""
    settings = InspectionSettings(
        database_url=seeded_database_url,
        shared=SharedSettings(env="dev"),
        binding_max_failures=3,
        binding_failure_window_seconds=3600,
    )
    app = create_app(settings)
    app.dependency_overrides[current_time] = lambda: NOON
    with TestClient(app) as test_client:
        yield test_client


def test_refusals_are_throttled_per_citizen(
    strict_client: TestClient, demo: dict[str, str]
) -> None:
    lisi = headers_of(LISI)
    wrong = {**demo, "unit_name": "东莞市新宇公司"}
    for _ in range(3):
        assert strict_client.post(UNITS, json=wrong, headers=lisi).status_code == 422
    # Past the limit even the right proof waits, and says how long.
    throttled = strict_client.post(UNITS, json=demo, headers=lisi)
    assert throttled.status_code == 429
    assert throttled.json()["detail"].startswith("核验失败次数过多")
    assert int(throttled.headers["Retry-After"]) == 3600
    # Another citizen is not slowed down by lisi's guesses.
    assert strict_client.post(UNITS, json=demo, headers=headers_of("c-other")).status_code == 201


# --- who may read what -------------------------------------------------------------------------


def test_every_route_needs_a_signed_in_citizen(client: TestClient, demo: dict[str, str]) -> None:
    code = demo["credit_code"]
    calls = [
        ("GET", UNITS, None),
        ("POST", UNITS, demo),
        ("GET", equipment_path(code), None),
        ("DELETE", f"{UNITS}/1", None),
    ]
    staff = mint_token("inspection", "staff-1", roles=["inspector"], kind="staff")
    for method, path, body in calls:
        assert client.request(method, path, json=body).status_code == 401, path
        other_audience = mint_token("socialsec", ZHANGSAN)
        assert client.request(method, path, json=body, headers=other_audience).status_code == 401
        assert client.request(method, path, json=body, headers=staff).status_code == 403, path


def test_only_a_contact_reads_a_units_equipment(
    client: TestClient, demo: dict[str, str], other: dict[str, str], registry: Registry
) -> None:
    code = demo["credit_code"]
    mine = client.get(equipment_path(code), headers=headers_of(ZHANGSAN))
    assert mine.status_code == 200
    expected = sorted(
        e["registration_code"] for e in registry.equipment if e["user_unit_code"] == code
    )
    assert mine.json()["total"] == len(expected)
    assert sorted(i["registration_code"] for i in mine.json()["items"]) == expected
    assert {i["user_unit"] for i in mine.json()["items"]} == {demo["unit_name"]}
    dues = [i["next_due"] for i in mine.json()["items"] if i["next_due"]]
    assert dues == sorted(dues)
    # lisi is no contact of it: as unknown as a unit that does not exist.
    lisi = headers_of(LISI)
    refused = client.get(equipment_path(code), headers=lisi)
    assert refused.status_code == 404
    assert refused.json()["type"] == NOT_BOUND_TYPE
    assert client.get(UNITS, headers=lisi).json()["total"] == 0
    # Nor is zhangsan of another unit.
    assert (
        client.get(equipment_path(other["credit_code"]), headers=headers_of(ZHANGSAN)).status_code
        == 404
    )
    malformed = client.get(equipment_path("91441900MAFJB9QKT1"), headers=lisi)
    assert malformed.status_code == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["credit_code"]


def test_an_unknown_unit_is_the_same_404(client: TestClient, demo: dict[str, str]) -> None:
    first17 = "91441900MA0000000"
    code = first17 + credit_check_char(first17=first17)
    lisi = headers_of(LISI)
    unknown = client.get(equipment_path(code), headers=lisi)
    not_mine = client.get(equipment_path(demo["credit_code"]), headers=lisi)
    assert unknown.status_code == not_mine.status_code == 404
    assert unknown.json() | {"instance": ""} == not_mine.json() | {"instance": ""}
    assert unknown.json()["type"] == NOT_BOUND_TYPE


def test_due_within_days_lists_what_needs_inspecting_soonest_first(
    client: TestClient, demo: dict[str, str], registry: Registry
) -> None:
    code = demo["credit_code"]
    zhangsan = headers_of(ZHANGSAN)
    for days in (0, 30, 366):
        response = client.get(
            equipment_path(code), params={"due_within_days": days}, headers=zhangsan
        )
        assert response.status_code == 200
        expected = {
            e["registration_code"]
            for e in registry.equipment
            if e["user_unit_code"] == code
            and is_due(equipment=Equipment(**e), today=TODAY, within_days=days)
        }
        items = response.json()["items"]
        assert {i["registration_code"] for i in items} == expected
        dated = [i["next_due"] for i in items if i["next_due"]]
        assert dated == sorted(dated)
    # The demo overdue lift is due whatever the window.
    overdue = client.get(equipment_path(code), params={"due_within_days": 0}, headers=zhangsan)
    assert DEMO_OVERDUE_LIFT in {i["registration_code"] for i in overdue.json()["items"]}
    paged = client.get(equipment_path(code), params={"limit": 1, "offset": 1}, headers=zhangsan)
    assert len(paged.json()["items"]) == 1 and paged.json()["total"] > 1
    for bad in (-1, 367, "soon"):
        response = client.get(
            equipment_path(code), params={"due_within_days": bad}, headers=zhangsan
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["due_within_days"]


# --- the demo seed ---------------------------------------------------------------------------


def test_the_demo_contact_is_seeded_once_with_an_application_at_scheduled(
    seeded_database_url: str,
) -> None:
    engine = make_engine(seeded_database_url)
    try:
        with Session(engine) as session:
            assert "already seeded" in seed_at(session, anchor=TODAY + timedelta(days=1))
            [application] = session.exec(select(Application)).all()
            assert (application.applicant_id, application.state) == (ZHANGSAN, "已排期")
            assert application.registration_code == DEMO_OVERDUE_LIFT
            assert application.number == "BJ20260613000001"
            assert application.scheduled_date == TODAY + timedelta(days=5)
            steps = session.exec(select(ApplicationStep).order_by(col(ApplicationStep.at))).all()
            assert [s.state for s in steps] == ["受理", "已排期"]
            assert [s.application_id for s in steps] == [application.id] * 2
            assert len(session.exec(select(Contact)).all()) == 1
    finally:
        engine.dispose()


# --- unbinding, withdrawal, export -------------------------------------------------------------


def test_a_citizen_removes_their_own_binding_only(client: TestClient, demo: dict[str, str]) -> None:
    zhangsan, lisi = headers_of(ZHANGSAN), headers_of(LISI)
    [binding] = client.get(UNITS, headers=zhangsan).json()["items"]
    assert client.delete(f"{UNITS}/{binding['id']}", headers=lisi).status_code == 404
    assert client.delete(f"{UNITS}/{binding['id']}", headers=zhangsan).status_code == 204
    assert client.get(UNITS, headers=zhangsan).json()["total"] == 0
    assert client.get(equipment_path(demo["credit_code"]), headers=zhangsan).status_code == 404
    assert client.delete(f"{UNITS}/{binding['id']}", headers=zhangsan).status_code == 404
    assert client.delete(f"{UNITS}/{2**31}", headers=zhangsan).status_code == 422


def test_only_accounts_deletes_a_citizens_bindings(client: TestClient) -> None:
    assert_bindings_deletion_contract(client, "inspection")


def test_withdrawal_really_deletes_the_binding(client: TestClient, demo: dict[str, str]) -> None:
    path = f"/v1/internal/citizens/{ZHANGSAN}/bindings"
    assert client.delete(path, headers=service_headers("accounts", "inspection")).status_code == 204
    assert client.get(UNITS, headers=headers_of(ZHANGSAN)).json()["total"] == 0
    response = client.get(equipment_path(demo["credit_code"]), headers=headers_of(ZHANGSAN))
    assert response.status_code == 404


def export_of(client: TestClient, citizen_id: str) -> dict[str, Any]:
    token = headers_of(citizen_id)["Authorization"]
    headers = {**service_headers("gateway", "inspection"), CITIZEN_HEADER: token}
    answer = client.get("/v1/internal/export", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_the_export_holds_the_citizens_units_and_applications(
    client: TestClient, demo: dict[str, str]
) -> None:
    data = export_of(client, ZHANGSAN)
    [contact] = data["contacts"]
    assert (contact["unit_code"], contact["unit_name"]) == (
        demo["credit_code"],
        demo["unit_name"],
    )
    assert contact["bound_at"].endswith("+08:00")
    [application] = data["applications"]
    assert application["registration_code"] == DEMO_OVERDUE_LIFT
    assert application["applicant_id"] == ZHANGSAN and application["state"] == "已排期"
    assert data["binding_failures"] == []
    # lisi's export holds her refused proof and nobody's units.
    client.post(UNITS, json={**demo, "unit_name": "错误名称"}, headers=headers_of(LISI))
    lisi = export_of(client, LISI)
    assert lisi["contacts"] == lisi["applications"] == []
    assert [f["citizen_id"] for f in lisi["binding_failures"]] == [LISI]
    assert client.get("/v1/internal/export", headers=headers_of(ZHANGSAN)).status_code == 403
