"""The seeded population: about 2,000 insured persons with up to 15 years of contributions.

Generated from a fixed random seed and an anchor day, so the same anchor gives the same rows.
`python -m socialsec seed` anchors on the day it first runs: histories end in the month before
it, so owed months and card progress look current whenever the demo starts afresh.

People work for employers across the city's towns, change jobs with or without a gap, some stop
contributing (暂停缴费), retirees (men at 60, women at 50 or 55) draw pensions. The demo citizens
of `wechat.demo_citizens` and one demo retiree have fixed identifiers (`DEMO_PEOPLE`) that
the README lists; all but 李四 and the retiree are bound to their citizen_id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from servicekit.clock import SHANGHAI
from socialsec.accounts import (
    medical_entries,
    pension_amounts,
    pension_entries,
    yearly_credits,
)
from socialsec.clock import add_months, month_of, month_range
from socialsec.contributions import PaymentStatus, Span, month_rows
from socialsec.population_tables import (
    BANKS,
    BRANDS,
    CARD_STAGES,
    DEMO_PEOPLE,
    DONGGUAN_AREA,
    GIVEN,
    HISTORY_MONTHS,
    HOME_AREAS,
    INDUSTRIES,
    PAYMENT_HISTORY_MONTHS,
    PENSION_RAISE_BP,
    PHARMACY_NOTES,
    POPULATION,
    RANDOM_SEED,
    REGION,
    STAGE_NOTES,
    SURNAMES,
    DemoPerson,
    NewCard,
)
from socialsec.rates import RateBook, pension_interest_bp, rate_table
from socialsec.reference import divisions, short_name
from socialsec.validators import resident_id_check_char


@dataclass
class Population:
    """Rows to insert. Rows point at persons, employers and cards by their index in these lists
    (`person`, `employer`, `card` keys), since ids exist only once inserted."""

    employers: list[dict] = field(default_factory=list)
    persons: list[dict] = field(default_factory=list)
    cards: list[dict] = field(default_factory=list)
    card_events: list[dict] = field(default_factory=list)
    spans: list[dict] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    # (citizen_id, person index) of the demo bindings.
    bindings: list[tuple[str, int]] = field(default_factory=list)


def _birth(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _at(day: date, hour: int) -> datetime:
    """A local moment on `day`, in UTC for storage."""
    return datetime.combine(day, time(hour, 0), SHANGHAI).astimezone(UTC)


class _Generator:
    """Draws people, jobs and cards from one random stream."""

    def __init__(self, anchor: date) -> None:
        self.anchor = anchor
        self.last_month = add_months(month_of(anchor), -1)
        self.first_month = add_months(month_of(anchor), -HISTORY_MONTHS)
        self.rng = random.Random(RANDOM_SEED)
        self.rates = RateBook(rate_table())
        self.interest = pension_interest_bp()
        self.towns = [d.code for d in divisions()]
        self.town_names = {d.code: short_name(d.name) for d in divisions()}
        self.population = Population()
        self.employer_index: dict[str, int] = {}
        self.ids = {p.citizen.id_number for p in DEMO_PEOPLE}
        self.cards = {p.card.number for p in DEMO_PEOPLE}
        self.accounts: set[str] = set()

    def employer(self, name: str, town: str) -> int:
        if name not in self.employer_index:
            self.employer_index[name] = len(self.population.employers)
            self.population.employers.append({"name": name, "town": town})
        return self.employer_index[name]

    def random_employer(self, town: str) -> int:
        town = town if self.rng.random() < 0.6 else self.rng.choice(self.towns)
        # A few firms per town, each in one industry, so colleagues share employers.
        index = self.rng.randrange(len(BRANDS))
        industry = INDUSTRIES[(index + len(town)) % len(INDUSTRIES)]
        name = f"东莞市{self.town_names[town]}{BRANDS[index]}{industry}有限公司"
        return self.employer(name, town)

    def name(self, gender: str) -> str:
        given = "".join(self.rng.choices(GIVEN, k=self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def id_number(self, birth: date, gender: str) -> str:
        while True:
            area = self.rng.choices([a for a, _ in HOME_AREAS], [w for _, w in HOME_AREAS])[0]
            serial = self.rng.randrange(10, 100) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8)
            )
            first17 = f"{area}{birth:%Y%m%d}{serial:03d}"
            number = first17 + resident_id_check_char(first17=first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def card_number(self) -> str:
        while True:
            number = f"S{self.rng.randrange(10**8):08d}"
            if number not in self.cards:
                self.cards.add(number)
                return number

    def bank_account(self, bank: str) -> str:
        prefix = dict(BANKS)[bank]
        while True:
            number = prefix + "".join(self.rng.choices("0123456789", k=13))
            if number not in self.accounts:
                self.accounts.add(number)
                return number

    # -- building one person ---------------------------------------------------------------------

    def add_person(
        self,
        *,
        name: str,
        id_number: str,
        town: str,
        household_dongguan: bool,
        residence_permit: bool,
        jobs: list[tuple[int, date, date, int, int]],
        insured_since: date,
        retired_on: date | None,
        pension_fen: int,
        card: NewCard,
    ) -> int:
        """Add a person; `jobs` are (employer, first, last, base_fen, owed months)."""
        person = len(self.population.persons)
        gender = "M" if int(id_number[16]) % 2 else "F"
        spans = self._spans(person, jobs)
        last_job = jobs[-1] if jobs else None
        if retired_on is not None:
            status = "retired"
        elif last_job and last_job[2] >= self.last_month:
            status = "active"
        else:
            status = "suspended"
        self.population.persons.append(
            {
                "name": name,
                "id_number": id_number,
                "gender": gender,
                "birth_date": _birth(id_number),
                "town": town,
                "household_dongguan": household_dongguan,
                "residence_permit": residence_permit,
                "status": status,
                "insured_since": insured_since,
                "retired_on": retired_on,
                "employer": last_job[0] if status == "active" and last_job else None,
            }
        )
        self._card(person, *card)
        self._accounts(person, spans, retired_on)
        if retired_on is not None:
            first = max(retired_on, add_months(month_of(self.anchor), 1 - PAYMENT_HISTORY_MONTHS))
            months = month_range(
                first, month_of(self.anchor) if self.anchor.day >= 10 else self.last_month
            )
            for month, amount in pension_amounts(
                first_month_fen=pension_fen,
                retired_on=retired_on,
                months=months,
                yearly_raise_bp=PENSION_RAISE_BP,
            ):
                self.population.payments.append(
                    {
                        "person": person,
                        "month": month,
                        "amount_fen": amount,
                        "paid_on": month.replace(day=10),
                    }
                )
        return person

    def _spans(self, person: int, jobs: list[tuple[int, date, date, int, int]]) -> list[Span]:
        """One declared span per job and calendar year, the base raised each January."""
        spans = []
        for employer, first, last, base_fen, owed in jobs:
            owed_from = add_months(last, 1 - owed) if owed else None
            year_base = base_fen
            for year in range(first.year, last.year + 1):
                start, end = max(first, date(year, 1, 1)), min(last, date(year, 12, 1))
                pieces: list[tuple[date, date, PaymentStatus]] = [(start, end, "paid")]
                if owed_from is not None and owed_from <= end:
                    pieces = [
                        (start, add_months(owed_from, -1), "paid"),
                        (max(start, owed_from), end, "owed"),
                    ]
                for a, b, status in pieces:
                    if a <= b:
                        name = self.population.employers[employer]["name"]
                        spans.append(Span(a, b, year_base, status, name))
                        self.population.spans.append(
                            {
                                "person": person,
                                "employer": employer,
                                "first_month": a,
                                "last_month": b,
                                "base_fen": year_base,
                                "status": status,
                            }
                        )
                year_base = round(year_base * (1 + self.rng.uniform(0.02, 0.09)) / 100) * 100
        return spans

    def _card(self, person: int, number: str, status: str, stage: str, bank: str) -> None:
        card = len(self.population.cards)
        town = self.population.persons[person]["town"]
        self.population.cards.append(
            {
                "person": person,
                "card_number": number,
                "status": status,
                "stage": stage,
                "bank": bank,
                "bank_account": self.bank_account(bank),
                "pickup_office": town,
            }
        )
        # Recent steps for a card still being made, older ones for a card already collected.
        order = list(STAGE_NOTES)
        reached = order.index(stage)
        day = self.anchor - timedelta(
            days=(3 + reached * 6) if stage != "collected" else self.rng.randint(60, 3000)
        )
        for step in order[: reached + 1]:
            if step == "posted" and stage in ("ready", "collected"):
                continue
            note = STAGE_NOTES[step]
            if step == "ready":
                note = f"已到达{self.town_names[town]}社保分局，待领取"
            self.population.card_events.append(
                {"card": card, "stage": step, "at": _at(day, 10), "note": note}
            )
            day += timedelta(days=self.rng.randint(3, 8))

    def _accounts(self, person: int, spans: list[Span], retired_on: date | None) -> None:
        rows = month_rows(
            spans=spans,
            rates=self.rates,
            region=REGION,
            first=self.first_month,
            last=self.last_month,
            insurances=("pension", "medical"),
        )
        pension = pension_entries(
            credits=yearly_credits(rows=rows, insurance="pension"),
            interest_bp=self.interest,
            as_of=self.anchor,
            retired_on=retired_on,
        )
        spending = []
        for year in range(self.anchor.year - 2, self.anchor.year + 1):
            for _ in range(self.rng.randint(0, 4)):
                day = date(year, self.rng.randint(1, 12), self.rng.randint(1, 28))
                if day < self.anchor:
                    spending.append(
                        (day, self.rng.randint(20, 600) * 100, self.rng.choice(PHARMACY_NOTES))
                    )
        medical = medical_entries(
            credits=yearly_credits(rows=rows, insurance="medical"),
            spending=spending,
            as_of=self.anchor,
        )
        for account, entries in (("pension", pension), ("medical", medical)):
            for entry in entries:
                self.population.entries.append(
                    {
                        "person": person,
                        "account": account,
                        "posted_on": entry.posted_on,
                        "kind": entry.kind,
                        "amount_fen": entry.amount_fen,
                        "balance_fen": entry.balance_fen,
                        "note": entry.note,
                    }
                )

    # -- the people ------------------------------------------------------------------------------

    def demo(self, person: DemoPerson) -> None:
        """Add a demo person with the jobs and card the README describes."""
        month = month_of(self.anchor)
        jobs = []
        for job in person.jobs:
            first = max(add_months(month, -job.first_ago), self.first_month)
            last = add_months(month, -job.last_ago)
            if person.retired_on is not None:
                last = min(last, add_months(person.retired_on, -1))
            jobs.append(
                (
                    self.employer(job.employer, job.town),
                    first,
                    last,
                    job.base_yuan * 100,
                    job.owed_months,
                )
            )
        index = self.add_person(
            name=person.citizen.name,
            id_number=person.citizen.id_number,
            town=person.citizen.town,
            household_dongguan=person.household_dongguan,
            residence_permit=person.residence_permit,
            jobs=jobs,
            insured_since=jobs[0][1],
            retired_on=person.retired_on,
            pension_fen=person.pension_yuan * 100,
            card=person.card,
        )
        if person.bound and person.citizen_id:
            self.population.bindings.append((person.citizen_id, index))

    def random_person(self) -> None:
        """Add one generated person."""
        rng = self.rng
        gender = rng.choice("MF")
        decade = rng.choices((20, 30, 40, 50, 60, 70), weights=(30, 28, 20, 12, 7, 3))[0]
        age = decade + rng.randrange(10) if decade > 20 else rng.randint(19, 29)
        birth = self.anchor - timedelta(days=age * 365 + rng.randrange(365))
        id_number = self.id_number(birth, gender)
        household = id_number.startswith(DONGGUAN_AREA)
        retire_age = 60 if gender == "M" else rng.choice((50, 55))
        # Pensions start the month after the birthday of the retirement age.
        retire_month = add_months(month_of(birth), 12 * retire_age + 1)
        retired_on = retire_month if retire_month <= month_of(self.anchor) else None
        adult = add_months(month_of(birth), 12 * 18 + rng.randrange(36))
        joined = rng.randrange(HISTORY_MONTHS - 6) if rng.random() < 0.6 else 0
        start = max(self.first_month, adult, add_months(self.first_month, joined))
        end = self.last_month if retired_on is None else add_months(retired_on, -1)
        if retired_on is None and rng.random() < 0.06:
            end = add_months(end, -rng.randint(3, 40))
        if end < start:
            start = max(self.first_month, add_months(end, -rng.randint(6, 24)))
        town = rng.choice(self.towns)
        jobs = []
        month = start
        base = rng.randint(30, 120) * 10_000 if retired_on is None else rng.randint(25, 60) * 10_000
        count = rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]
        length = max(1, (end.year - month.year) * 12 + end.month - month.month + 1)
        for number in range(count if start <= end else 0):
            last = end if number == count - 1 else add_months(month, max(1, length // count) - 1)
            if last > end or month > end:
                break
            owed = (
                rng.randint(1, 3)
                if number == count - 1 and last == self.last_month and rng.random() < 0.04
                else 0
            )
            jobs.append((self.random_employer(town), month, last, base, owed))
            month = add_months(last, 1 + (rng.randint(1, 8) if rng.random() < 0.35 else 0))
            base = round(base * rng.uniform(1.0, 1.2) / 100) * 100
        stage = rng.choices([s for s, _ in CARD_STAGES], [w for _, w in CARD_STAGES])[0]
        status = (
            rng.choices(("normal", "lost", "cancelled"), weights=(95, 4, 1))[0]
            if stage == "collected"
            else "normal"
        )
        self.add_person(
            name=self.name(gender),
            id_number=id_number,
            town=town,
            household_dongguan=household,
            residence_permit=not household and rng.random() < 0.85,
            jobs=jobs,
            insured_since=add_months(start, -12 * rng.randint(0, 10))
            if start == self.first_month
            else start,
            retired_on=retired_on,
            pension_fen=rng.randint(1800, 4200) * 100,
            card=NewCard(self.card_number(), status, stage, rng.choice(BANKS)[0]),
        )


def generate_population(*, anchor: date) -> Population:
    """The demo people, then generated people up to `POPULATION`, anchored on `anchor`."""
    gen = _Generator(anchor)
    for person in DEMO_PEOPLE:
        gen.demo(person)
    for _ in range(POPULATION - len(DEMO_PEOPLE)):
        gen.random_person()
    return gen.population
