"""The seeded population: deterministic, valid identifiers, histories within 15 years."""

from collections import Counter
from datetime import date

import pytest

from socialsec.clock import add_months, months_between
from socialsec.population import DEMO_PEOPLE, HISTORY_MONTHS, POPULATION, generate_population
from socialsec.validators import validate_card_number, validate_resident_id

ANCHOR = date(2026, 6, 15)


@pytest.fixture(scope="module")
def population():
    return generate_population(anchor=ANCHOR)


@pytest.mark.slow
def test_same_anchor_same_rows(population) -> None:
    again = generate_population(anchor=ANCHOR)
    assert again.persons == population.persons and again.spans == population.spans


@pytest.mark.slow  # the population fixture alone takes 1-3 s
def test_about_2000_people_with_valid_unique_identifiers(population) -> None:
    persons, cards = population.persons, population.cards
    assert len(persons) == len(cards) == POPULATION
    assert len({p["id_number"] for p in persons}) == POPULATION
    assert len({c["card_number"] for c in cards}) == POPULATION
    for person, card in zip(persons, cards, strict=True):
        assert validate_resident_id(number=person["id_number"]) == person["id_number"]
        assert validate_card_number(number=card["card_number"]) == card["card_number"]
        # The ID's 17th digit is odd for men.
        assert (int(person["id_number"][16]) % 2 == 1) == (person["gender"] == "M")


@pytest.mark.slow
def test_histories_span_up_to_15_years_with_employers_gaps_and_retirees(population) -> None:
    first = add_months(date(2026, 6, 1), -HISTORY_MONTHS)
    assert min(s["first_month"] for s in population.spans) == first
    assert max(s["last_month"] for s in population.spans) == date(2026, 5, 1)
    statuses = Counter(p["status"] for p in population.persons)
    assert statuses["retired"] > 150 and statuses["active"] > 1200 and statuses["suspended"] > 50
    assert len(population.employers) > 100
    assert Counter(s["status"] for s in population.spans)["owed"] > 20
    retirees = {i for i, p in enumerate(population.persons) if p["status"] == "retired"}
    assert {p["person"] for p in population.payments} == retirees
    for span in population.spans:
        assert months_between(span["first_month"], span["last_month"]) >= 1
        retired_on = population.persons[span["person"]]["retired_on"]
        assert retired_on is None or span["last_month"] < retired_on


@pytest.mark.slow  # the population fixture alone takes 1-3 s
def test_demo_people_are_as_documented(population) -> None:
    assert [p["id_number"] for p in population.persons[: len(DEMO_PEOPLE)]] == [
        d.citizen.id_number for d in DEMO_PEOPLE
    ]
    bound = {citizen for citizen, _ in population.bindings}
    assert bound == {d.citizen_id for d in DEMO_PEOPLE if d.bound}
    assert "lisi" not in {d.citizen.id for d in DEMO_PEOPLE if d.bound}
    zhangsan = [s for s in population.spans if s["person"] == 0]
    assert [s["status"] for s in zhangsan][-1] == "owed"
