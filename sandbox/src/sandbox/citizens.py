"""The simulated citizens: a fixed demo list, each with a unionid and an openid per account.

Identifiers are derived by hashing, so they are the same on every run and every machine: a test,
the gateway and the accounts service all see the same person under the same ids.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass


def _wechat_id(seed: str) -> str:
    # WeChat's ids are 28 characters starting with "o", drawn from the URL-safe base64 alphabet.
    digest = hashlib.sha256(seed.encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


@dataclass(frozen=True)
class Citizen:
    """One simulated WeChat user."""

    id: str
    name: str
    town: str  # division code of reference/dongguan_divisions.csv, where the person lives

    @property
    def unionid(self) -> str:
        """The same person across all the city's accounts (one owner, one unionid)."""
        return _wechat_id(f"unionid:{self.id}")

    def openid(self, appid: str) -> str:
        """This person's id with one account (different for every account)."""
        return _wechat_id(f"openid:{appid}:{self.id}")


DEMO_CITIZENS = (
    Citizen(id="zhangsan", name="张三", town="dongcheng"),
    Citizen(id="lisi", name="李四", town="dalang"),
    Citizen(id="wangwu", name="王五", town="songshanhu"),
    Citizen(id="chenxiaomei", name="陈晓梅", town="humen"),
)
