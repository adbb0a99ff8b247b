from datetime import date

from accounts.models import ACCOUNT_KINDS
from accounts.reference import official_accounts


def test_the_eleven_accounts_of_the_source_article() -> None:
    rows = {row.code: row for row in official_accounts()}
    assert set(rows) == {
        "dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj", "dgbj", "dglyj", "dgrs", "dgsw", "dggs"
    }  # fmt: skip
    assert len({row.name for row in rows.values()}) == 11
    assert all(row.kind is None or row.kind in ACCOUNT_KINDS for row in rows.values())
    assert all(row.status == "active" for row in rows.values())


def test_sourced_facts() -> None:
    rows = {row.code: row for row in official_accounts()}
    assert (rows["dgjj"].launch_date, rows["dgjj"].followers) == (date(2013, 7, 1), 320000)
    assert (rows["dgtq"].launch_date, rows["dgtq"].followers) == (date(2013, 7, 16), 36000)
    assert rows["gxhk"].launch_date == date(2014, 9, 2)
    assert rows["gxhk"].verified_entity == "东莞市人民政府新闻办公室"
    assert (rows["lxdl"].town, rows["lxdl"].followers) == ("dalang", 7000)
    assert rows["dgtj"].verified_entity == "广东省特种设备检测研究院东莞检测院"
    assert {code for code, row in rows.items() if row.kind == "service"} == {
        "dgjj", "dgsb", "dggs", "dgtj"
    }  # fmt: skip
