"""The demo registry: deterministic, every identifier valid and unique, realistic standing."""

from datetime import date

from inspection.codes import (
    validate_certificate_number,
    validate_credit_code,
    validate_registration_code,
)
from inspection.population import DEMO_LIFT, DEMO_OVERDUE_LIFT, Registry, generate_registry
from inspection.towns import town_names

ANCHOR = date(2026, 6, 15)


def test_the_registry_is_the_same_every_time(registry: Registry) -> None:
    assert generate_registry(anchor=ANCHOR) == registry


def test_about_five_thousand_items_of_companies_in_all_33_divisions(registry: Registry) -> None:
    assert len(registry.equipment) == 5000
    assert {e["town"] for e in registry.equipment} == set(town_names())
    assert len(town_names()) == 33
    assert all(u["name"].endswith("有限公司") for u in registry.units)


def test_every_identifier_is_valid_and_unique(registry: Registry) -> None:
    codes = [e["registration_code"] for e in registry.equipment]
    certificates = [e["certificate_number"] for e in registry.equipment]
    credit = [u["credit_code"] for u in registry.units]
    assert len(set(codes)) == len(codes) and len(set(certificates)) == len(certificates)
    assert len(set(credit)) == len(credit)
    assert all(validate_registration_code(code=c, today=ANCHOR) == c for c in codes)
    assert all(validate_certificate_number(number=c) == c for c in certificates)
    assert all(validate_credit_code(code=c) == c for c in credit)


def test_standing_is_mixed_as_in_a_real_registry(registry: Registry) -> None:
    in_use = [e for e in registry.equipment if e["status"] == "在用"]
    overdue = [e for e in in_use if e["next_due"] is not None and e["next_due"] < ANCHOR]
    assert 0.8 < len(in_use) / 5000 < 0.95
    assert 0.03 < len(overdue) / len(in_use) < 0.2
    assert {e["status"] for e in registry.equipment} == {"在用", "停用", "报废"}
    assert all(e["next_due"] is None for e in registry.equipment if e["status"] == "报废")


def test_the_demo_lifts(registry: Registry) -> None:
    by_code = {e["registration_code"]: e for e in registry.equipment}
    assert by_code[DEMO_LIFT]["next_due"] > ANCHOR
    assert by_code[DEMO_OVERDUE_LIFT]["next_due"] < ANCHOR
    assert by_code[DEMO_LIFT]["certificate_number"] == "梯11粤S00001(15)"
