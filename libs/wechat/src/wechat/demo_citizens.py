"""The demo citizens every part of the suite knows under the same ids (development and tests).

The sandbox plays them as WeChat users (unionid, an openid per account); accounts seeds them as
citizens under fixed `citizen_id`s; traffic and social security seed their records for those ids,
under the same name and resident ID number. One list here instead of identities copied into each
part. Ids are derived by hashing, so they are the same on every run and every machine.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass


def _wechat_id(seed: str) -> str:
    # WeChat's ids are 28 characters starting with "o", drawn from the URL-safe base64 alphabet.
    digest = hashlib.sha256(seed.encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


@dataclass(frozen=True)
class DemoCitizen:
    """One demo person: a simulated WeChat user and a citizen of the suite."""

    id: str
    name: str
    id_number: str  # resident ID (身份证号码), the same in every service's records
    town: str  # division code of reference/dongguan_divisions.csv, where the person lives

    @property
    def unionid(self) -> str:
        """The same person across all the city's accounts (one owner, one unionid)."""
        return _wechat_id(f"unionid:{self.id}")

    def openid(self, appid: str) -> str:
        """This person's id with one account (different for every account)."""
        return _wechat_id(f"openid:{appid}:{self.id}")

    @property
    def citizen_id(self) -> str:
        """The suite's citizen_id for this person (accounts seeds it for the unionid)."""
        return "c-" + uuid.uuid5(uuid.NAMESPACE_URL, f"guanwei:demo-citizen:{self.id}").hex


DEMO_CITIZENS = (
    DemoCitizen("zhangsan", "张三", "441900199001011231", "dongcheng"),
    DemoCitizen("lisi", "李四", "441900198505203523", "dalang"),
    DemoCitizen("wangwu", "王五", "36233019780315571X", "songshanhu"),
    DemoCitizen("chenxiaomei", "陈晓梅", "44190019950808064X", "humen"),
)


def demo_citizen(key: str) -> DemoCitizen:
    """The demo citizen with this id (KeyError for another)."""
    for citizen in DEMO_CITIZENS:
        if citizen.id == key:
            return citizen
    raise KeyError(key)
