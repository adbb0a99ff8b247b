"""Dongguan's 33 towns, subdistricts and zones (data/dongguan_divisions.csv): code -> name."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DIVISIONS_CSV = Path(__file__).parent / "data" / "dongguan_divisions.csv"


@cache
def town_names() -> dict[str, str]:
    """Division code -> name, in the file's order."""
    with DIVISIONS_CSV.open(encoding="utf-8") as rows:
        return {row["code"]: row["name"] for row in csv.DictReader(rows)}
