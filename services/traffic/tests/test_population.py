"""The seeded population: deterministic, valid identifiers, mostly 粤S, demo people as stated."""

from collections import Counter
from datetime import date, timedelta

import pytest

from traffic.population import DEMO_PEOPLE, HISTORY_DAYS, POPULATION, generate_population
from traffic.validators import (
    validate_file_number,
    validate_plate,
    validate_resident_id,
    validate_vin,
)
from wechat.demo_citizens import DEMO_CITIZENS

ANCHOR = date(2026, 6, 15)


@pytest.fixture(scope="module")
def population():
    return generate_population(anchor=ANCHOR)


def test_same_anchor_same_rows(population) -> None:
    again = generate_population(anchor=ANCHOR)
    assert again.vehicles == population.vehicles and again.decisions == population.decisions


def test_about_2000_vehicles_and_licences_with_valid_identifiers(population) -> None:
    assert len(population.vehicles) == len(population.licences) == POPULATION
    plates = [v["plate"] for v in population.vehicles]
    vins = [v["vin"] for v in population.vehicles]
    assert len(set(plates)) == len(set(vins)) == POPULATION
    for vehicle in population.vehicles:
        assert validate_plate(plate=vehicle["plate"]).number == vehicle["plate"]
        assert validate_vin(vin=vehicle["vin"]) == vehicle["vin"]
    for licence in population.licences:
        assert validate_resident_id(number=licence["licence_number"]) == licence["licence_number"]
        assert validate_file_number(number=licence["file_number"]) == licence["file_number"]
        assert licence["first_issued_on"] < ANCHOR
    assert len({lic["file_number"] for lic in population.licences}) == POPULATION
    kinds = Counter(validate_plate(plate=p).kind for p in plates)
    assert 0.15 < kinds["new_energy"] / POPULATION < 0.35
    assert sum(p.startswith("粤S") for p in plates) / POPULATION > 0.8


def test_violations_span_two_years_before_the_anchor(population) -> None:
    days = [row["occurred_at"].date() for row in population.violations]
    assert min(days) >= ANCHOR - timedelta(days=HISTORY_DAYS + 1) and max(days) <= ANCHOR
    assert len(population.violations) > POPULATION
    decided = {d["violation"] for d in population.decisions}
    unpaid = [d for d in population.decisions if d["paid_on"] is None]
    assert 0 < len(unpaid) < len(population.decisions) / 4
    assert len(population.violations) - len(decided) > 100
    for decision in population.decisions:
        assert decision["decided_on"] <= ANCHOR
        assert (
            decision["paid_on"] is None or decision["decided_on"] <= decision["paid_on"] <= ANCHOR
        )


def test_demo_people_are_valid_and_are_the_suites_demo_citizens() -> None:
    for person in DEMO_PEOPLE:
        validate_plate(plate=person.plate)
        validate_vin(vin=person.vin)
        validate_resident_id(number=person.citizen.id_number)
        validate_file_number(number=person.file_number)
    zhangsan = DEMO_PEOPLE[0]
    assert (zhangsan.plate, zhangsan.vin[-6:]) == ("粤S12345", "123456")
    assert [p.citizen for p in DEMO_PEOPLE] == list(DEMO_CITIZENS)
