"""Reference tables shipped with the package: the violation codes and Dongguan's divisions."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import Session, select

from servicekit.deps import Page, PageParams, paginate
from servicekit.money import yuan_to_fen

M = TypeVar("M", bound=BaseModel)

# Point values of the 2022 scoring rules; anything else in the table is a data error.
POINT_VALUES = frozenset({0, 1, 3, 6, 9, 12})


@dataclass(frozen=True)
class ViolationCodeRow:
    code: str
    description: str
    points: int
    fine_fen: int
    verified: bool


def code_page(session: Session, page: PageParams, *, table: Any, public: type[M]) -> Page[M]:
    """One page of a table keyed by `code` (offices, businesses, violation codes), by code."""
    return paginate(session, select(table), page, order_by=table.code, public=public)


def parse_yes_no(text: str) -> bool:
    """Read a `yes`/`no` cell of a reference table."""
    value = text.strip().lower()
    if value not in ("yes", "no"):
        raise ValueError(f"expected yes or no, got {text!r}")
    return value == "yes"


def parse_points(text: str) -> int:
    """Read a points cell, which must be one of the legal point values."""
    points = int(text)
    if points not in POINT_VALUES:
        raise ValueError(f"not a legal point value: {text!r}")
    return points


@cache
def violation_codes() -> tuple[ViolationCodeRow, ...]:
    """The violation codes of `violation_codes.csv`, fines converted to fen."""
    text = resources.files("traffic.data").joinpath("violation_codes.csv").read_text("utf-8")
    return tuple(
        ViolationCodeRow(
            code=r["code"],
            description=r["description"],
            points=parse_points(r["points"]),
            fine_fen=yuan_to_fen(r["fine_yuan"]),
            verified=parse_yes_no(r["verified"]),
        )
        for r in csv.DictReader(text.splitlines())
    )


@cache
def division_names() -> tuple[str, ...]:
    """Names of Dongguan's subdistricts, towns and zones (`dongguan_divisions.csv`)."""
    text = resources.files("traffic.data").joinpath("dongguan_divisions.csv").read_text("utf-8")
    return tuple(r["name"] for r in csv.DictReader(text.splitlines()))
