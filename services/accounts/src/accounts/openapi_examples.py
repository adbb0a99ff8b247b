"""Examples of the public models in the OpenAPI document, from the seeded registry: 东莞交警,
and the first place of a week's WCI ranking."""

from typing import Any

ACCOUNT: dict[str, Any] = {
    "code": "dgjj",
    "name": "东莞交警",
    "wechat_id": None,
    "kind": "service",
    "verified_entity": None,
    "agency": "东莞市公安局交通警察支队",
    "category": "traffic",
    "town": None,
    "launch_date": "2013-07-01",
    "followers": 320000,
    "description": "东莞市公安局交通警察支队运营的服务号，东莞政务微信的先行者。",
    "appid": None,
    "status": "active",
}
RANKED_ACCOUNT: dict[str, Any] = {
    "rank": 1,
    "previous_rank": 1,
    "rank_change": 0,
    "code": "dgsw",
    "name": "东莞水务",
    "kind": None,
    "score": 874.3472,
    "totals": {
        "days": 7,
        "articles": 17,
        "pushes": 5,
        "reads": 181594,
        "likes": 1019,
        "wows": 506,
        "shares": 5689,
        "max_reads": 33453,
        "max_likes": 254,
        "max_wows": 127,
        "max_shares": 1291,
        "headline_reads": 112858,
        "headline_likes": 603,
        "headline_wows": 316,
        "headline_shares": 3888,
        "followers": 193062,
    },
    "components": None,
}
