"""Reference tables shipped with the service (CSV, UTF-8, one header row)."""

from __future__ import annotations

import csv
from importlib import resources


def csv_rows(name: str) -> list[dict[str, str]]:
    """The rows of the CSV file `name` of this package, by column name."""
    text = resources.files(__name__).joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))
