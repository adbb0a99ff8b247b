"""Reference tables shipped with the package: the accounts named in the source article, divisions.

Facts come from a newspaper report on Dongguan's government WeChat accounts, written in December
2014 and republished on 2015-01-12; what it does not say stays empty. Two kinds are inferred
rather than stated: 东莞天气 pushes daily and 荔香大朗 three times a week, more than a service
account may (4 a month), so both are subscription accounts. 荔香大朗 opened in July 2013 with no
day given, so its launch_date is empty.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pydantic import TypeAdapter

from accounts.models import ACCOUNT_KINDS, AccountPublic


@dataclass(frozen=True)
class Division:
    """A town, subdistrict or zone of the city."""

    code: str
    name: str
    kind: str  # town | subdistrict | zone


def _data(name: str) -> str:
    return resources.files("accounts.data").joinpath(name).read_text("utf-8")


@cache
def official_accounts() -> tuple[AccountPublic, ...]:
    """The accounts of `accounts.json`, validated."""
    rows = TypeAdapter(list[AccountPublic]).validate_json(_data("accounts.json"))
    for row in rows:
        if row.kind is not None and row.kind not in ACCOUNT_KINDS:
            raise ValueError(f"{row.code}: unknown kind {row.kind!r}")
    return tuple(rows)


@cache
def divisions() -> tuple[Division, ...]:
    """The 33 towns, subdistricts and zones of `dongguan_divisions.csv`."""
    return tuple(
        Division(r["code"], r["name"], r["kind"])
        for r in csv.DictReader(_data("dongguan_divisions.csv").splitlines())
    )


@cache
def town_codes() -> frozenset[str]:
    """The codes an account's `town` may take."""
    return frozenset(d.code for d in divisions())
