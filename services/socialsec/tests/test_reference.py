import re

import pytest

from socialsec.reference import demo_phone, divisions, office_name, offices, short_name


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("大朗镇", "大朗"),
        ("莞城街道", "莞城"),
        ("樟木头镇", "樟木头"),
        ("松山湖", "松山湖"),
        ("镇", "镇"),
    ],
)
def test_short_name(name: str, short: str) -> None:
    assert short_name(name) == short


@pytest.mark.parametrize(
    ("division", "office"),
    [
        ("大朗镇", "东莞市社会保险基金管理中心大朗分局"),
        ("南城街道", "东莞市社会保险基金管理中心南城分局"),
        ("松山湖", "东莞市社会保险基金管理中心松山湖分局"),
    ],
)
def test_office_name(division: str, office: str) -> None:
    assert office_name(division) == office


@pytest.mark.parametrize("town", ["dalang", "guancheng", "songshanhu", "x"])
def test_demo_phone_is_a_stable_dongguan_landline(town: str) -> None:
    assert re.fullmatch(r"0769-8\d{7}", demo_phone(town))
    assert demo_phone(town) == demo_phone(town)


def test_one_office_per_division_with_distinct_phones() -> None:
    rows = offices()
    assert [r.town for r in rows] == [d.code for d in divisions()]
    assert len(rows) == 33
    assert len({r.phone for r in rows}) == 33


def test_only_dalangs_phone_is_sourced() -> None:
    rows = {r.town: r for r in offices()}
    assert rows["dalang"].phone == "0769-83106399"
    assert not rows["dalang"].phone_demo
    assert [r.town for r in rows.values() if not r.phone_demo] == ["dalang"]
    # Addresses and hours are demo values everywhere, so every record is flagged.
    assert all(r.demo for r in rows.values())
