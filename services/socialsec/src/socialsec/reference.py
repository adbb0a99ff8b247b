"""Reference tables shipped with the package: divisions, the branch offices built on them, FAQ.

Only the 大朗 office's phone number is sourced (the town account 荔香大朗 answers
"社保分局电话是83106399"). Every other phone, every address and the hours are demo values, made
deterministically from the town code so that seeding twice gives the same directory.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cache

from socialsec.data import csv_rows
from socialsec.models import FaqBase, OfficeBase

OFFICE_PREFIX = "东莞市社会保险基金管理中心"
SOURCED_PHONES = {"dalang": "0769-83106399"}
DEMO_HOURS = "周一至周五 8:30-12:00，14:00-17:30（法定节假日除外）"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    kind: str


@cache
def divisions() -> tuple[Division, ...]:
    """The 33 towns, subdistricts and zones of `dongguan_divisions.csv`."""
    return tuple(
        Division(r["code"], r["name"], r["kind"]) for r in csv_rows("dongguan_divisions.csv")
    )


def short_name(name: str) -> str:
    """A division's name without its 街道/镇 suffix, as offices are named (大朗镇 -> 大朗)."""
    for suffix in ("街道", "镇"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def office_name(division_name: str) -> str:
    """The branch office of a division, e.g. 东莞市社会保险基金管理中心大朗分局."""
    return f"{OFFICE_PREFIX}{short_name(division_name)}分局"


def demo_phone(town: str) -> str:
    """A stable, made-up Dongguan landline for `town` (0769-8 and seven digits)."""
    # crc32 rather than hash(): str hashes change between processes, the directory must not.
    return f"0769-8{zlib.crc32(town.encode()) % 10_000_000:07d}"


def offices() -> tuple[OfficeBase, ...]:
    """One branch office per division, sourced values where known and demo values elsewhere."""
    return tuple(
        OfficeBase(
            town=d.code,
            town_name=d.name,
            name=office_name(d.name),
            address=f"东莞市{d.name}社保服务大厅",
            phone=SOURCED_PHONES.get(d.code) or demo_phone(d.code),
            hours=DEMO_HOURS,
            demo=True,
            phone_demo=d.code not in SOURCED_PHONES,
        )
        for d in divisions()
    )


def faq() -> tuple[FaqBase, ...]:
    """The policy questions and answers of `faq.csv`."""
    return tuple(FaqBase(**row) for row in csv_rows("faq.csv"))
