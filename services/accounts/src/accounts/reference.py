"""Reference table shipped with the package: the official accounts named in the source article.

Facts come from a newspaper report on Dongguan's government WeChat accounts, written in December
2014 and republished on 2015-01-12; what it does not say stays empty. Two kinds are inferred
rather than stated: 东莞天气 pushes daily and 荔香大朗 three times a week, more than a service
account may (4 a month), so both are subscription accounts. 荔香大朗 opened in July 2013 with no
day given, so its launch_date is empty.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import TypeAdapter

from accounts.models import ACCOUNT_KINDS, AccountPublic


@cache
def official_accounts() -> tuple[AccountPublic, ...]:
    """The accounts of `accounts.json`, validated."""
    text = resources.files("accounts.data").joinpath("accounts.json").read_text("utf-8")
    rows = TypeAdapter(list[AccountPublic]).validate_json(text)
    for row in rows:
        if row.kind is not None and row.kind not in ACCOUNT_KINDS:
            raise ValueError(f"{row.code}: unknown kind {row.kind!r}")
    return tuple(rows)
