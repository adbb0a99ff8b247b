"""Chat text within WeChat's limit, and the town a citizen names (servicekit.chattext)."""

from __future__ import annotations

from servicekit.chattext import TEXT_LIMIT_BYTES, clip, fit, names_of, town_in_text, utf8_len

TOWNS = [
    ("dalang", "大朗镇"),
    ("dalingshan", "大岭山镇"),
    ("songshanhu", "松山湖"),
    ("dongcheng", "东城街道"),
    ("dongchengxin", "东城新区"),
]


def test_utf8_len_counts_bytes_as_wechat_does() -> None:
    assert utf8_len("ab") == 2 and utf8_len("违章") == 6


def test_clip_cuts_at_a_character_within_the_limit() -> None:
    assert clip("短文本") == "短文本"
    long = "违" * 1000
    cut = clip(long)
    assert utf8_len(cut) <= TEXT_LIMIT_BYTES and cut.endswith("……")
    assert clip("ab违章了", 10) == "ab……"  # 11 bytes; the ellipsis takes 6


def test_fit_keeps_whole_items_and_says_how_many_were_left_out() -> None:
    items = [f"第{i}条：" + "记录" * 40 for i in range(1, 40)]
    text = fit(["开头"], items, ["结尾"], more=lambda n: f"另有{n}条", limit=1000)
    assert utf8_len(text) <= 1000
    lines = text.splitlines()
    assert lines[0] == "开头" and lines[-1] == "结尾"
    shown = [line for line in lines if line.startswith("第")]
    assert lines[-2] == f"另有{len(items) - len(shown)}条"
    assert all(line in items for line in shown)
    assert fit(["开头"], items[:2], more=lambda n: f"另有{n}条") == "\n".join(["开头", *items[:2]])
    assert fit([], items[:1], more=lambda n: f"另有{n}条", hidden=3).endswith("另有3条")


def test_a_town_goes_by_its_full_and_its_short_name() -> None:
    assert names_of("大朗镇") == ["大朗镇", "大朗"]
    assert names_of("东城街道") == ["东城街道", "东城"]
    # A one-character short name would match too much: only the full name counts.
    assert names_of("虎镇") == ["虎镇"]


def test_the_town_named_in_a_text() -> None:
    assert town_in_text(TOWNS, "社保电话 大朗") == "dalang"
    assert town_in_text(TOWNS, "大岭山镇社保") == "dalingshan"
    assert town_in_text(TOWNS, "松山湖的电话") == "songshanhu"
    assert town_in_text(TOWNS, "社保电话") is None
    # The longest name found wins: 东城 does not hide 东城新区.
    assert town_in_text(TOWNS, "东城新区天气") == "dongchengxin"
    assert town_in_text(TOWNS, "东城天气") == "dongcheng"
