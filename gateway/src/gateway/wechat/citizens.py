"""Who is chatting: from a callback's openid to the citizen a service knows, for personal answers.

A WeChat callback carries only the sender's openid with the account. `ChatCitizens` turns
(account, openid) into a `citizen_id` the real way:

1. the platform's `/cgi-bin/user/info` gives the openid's unionid (kept for a day: it never
   changes for an openid; an account without an open-platform owner has none);
2. accounts' `POST /v1/internal/citizens/resolve` gives the citizen_id (kept for
   `GATEWAY_WECHAT_CITIZEN_TTL_SECONDS`; an openid without unionid is a provisional citizen);
3. the citizen's consent for the purpose is read from accounts (`GET /v1/me/consents`, never
   kept: a withdrawal counts at once); while it is withdrawn, no personal record is shown
   (with `GATEWAY_WECHAT_PERSONAL_CONSENT=granted`, only while it is granted);
4. the service is called with an internal citizen token (`auth/citizens.py`).

When the platform or accounts cannot tell in time, `NotIdentified` carries a polite Chinese
answer; chat never guesses an identity (no provisional citizen for someone whose unionid merely
could not be read).

Every personal answer starts with `identify`, so it is where they are gated: outside ENV=dev, an
account in plain mode gives none (its callbacks' bodies are authenticated by nothing, so a
replayed query could carry another citizen's openid); `NotIdentified` then tells the citizen so
and an alert is logged. Public answers (a plate with its VIN suffix, rules, offices) still work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.auth.citizens import ResolveRefused, citizen_authorization, resolve_citizen
from gateway.platform import PlatformClient, PlatformError
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from gateway.wechat.replay import ALERT
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable

log = logging.getLogger("gateway.wechat.citizens")

UNIONID_TTL_SECONDS = 24 * 3600.0
CACHE_ENTRIES = 50_000
# purpose of accounts' consents -> the service whose records it opens
PURPOSE_OF_SERVICE = {"traffic": "traffic_records", "socialsec": "socialsec_records"}

UNAVAILABLE = "暂时无法确认您的身份，请稍后再试。"
CONSENT_WITHDRAWN = (
    "您已撤回“{title}”的授权，我们不再显示您的个人记录。如需查询，请在应用的“我的授权”中重新授权。"
)
CONSENT_MISSING = "查询个人记录需要您的授权。请在应用的“我的授权”中同意“{title}”后再查询。"
PURPOSE_TITLES = {"traffic_records": "查询交通违法记录", "socialsec_records": "查询社保记录"}
PLAIN_MODE_REFUSAL = "为保护您的个人信息，本公众号暂不提供个人记录查询，请在{app}中查询。"
SERVICE_APPS = {
    "traffic": "东莞交警应用",
    "socialsec": "东莞社保应用",
    "inspection": "东莞特检应用",
}

K = TypeVar("K")
V = TypeVar("V")


def plain_mode_accounts(settings: GatewaySettings) -> frozenset[str]:
    """The accounts whose chat gives no personal answer: those in plain mode, outside ENV=dev."""
    if settings.shared.env == "dev":
        return frozenset()
    return frozenset(a.code for a in settings.wechat_accounts if a.mode == "plain")


def warn_plain_mode_accounts(settings: GatewaySettings) -> None:
    """Warn, at start-up, of every account whose chat gives no personal answer."""
    for code in sorted(plain_mode_accounts(settings)):
        log.warning(
            "account %s runs in plain mode: its callbacks' bodies are not authenticated, so its "
            "chat gives no personal answers; switch it to safe (or compatible) mode",
            code,
            extra={"account": code},
        )


class NotIdentified(Exception):
    """The citizen cannot be served personally now; `answer` is what to tell them."""

    def __init__(self, answer: str) -> None:
        super().__init__(answer)
        self.answer = answer


class TtlCache(Generic[K, V]):
    """A small bounded cache whose entries lapse after `ttl` seconds (oldest dropped first)."""

    def __init__(
        self, ttl: float, *, max_entries: int = CACHE_ENTRIES, clock: Callable[[], float]
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> tuple[bool, V | None]:
        """(True, value) for a fresh entry, else (False, None)."""
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        if entry[0] <= self.clock():
            del self._entries[key]
            return False, None
        return True, entry[1]

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `ttl` seconds (nothing is kept when ttl is 0)."""
        if self.ttl <= 0:
            return
        self._entries[key] = (self.clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def drop(self, key: K) -> None:
        """Forget `key`."""
        self._entries.pop(key, None)


@dataclass(frozen=True)
class ChatIdentity:
    """A chatting citizen, ready to be served by one service."""

    citizen_id: str
    service: str
    authorization: str


class ChatCitizens:
    """(account, openid) -> citizen_id -> an internal citizen token for a service."""

    def __init__(
        self,
        platform: PlatformClient,
        upstreams: Upstreams,
        settings: GatewaySettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.upstreams = upstreams
        self.secret = settings.shared.internal_token_secret
        self.consent_rule = settings.wechat_personal_consent
        self.no_personal_answers = plain_mode_accounts(settings)
        self._unionids: TtlCache[tuple[str, str], str | None] = TtlCache(
            UNIONID_TTL_SECONDS, clock=clock
        )
        self._citizens: TtlCache[tuple[str, str, str | None], str] = TtlCache(
            settings.wechat_citizen_ttl_seconds, clock=clock
        )

    def gives_personal_answers(self, account: str) -> bool:
        """Whether `account`'s chat may show a citizen's records (not in plain mode outside dev)."""
        return account not in self.no_personal_answers

    async def unionid(self, account: str, openid: str, *, timeout: float) -> str | None:
        """The openid's unionid (None when the account has no open-platform owner)."""
        found, unionid = self._unionids.get((account, openid))
        if found:
            return unionid
        try:
            async with asyncio.timeout(timeout):
                info = await self.platform.user_info(account, openid)
        except PlatformError as exc:
            # Never the openid in logs: it is personal data.
            log.warning("user info unavailable: WeChat errcode %s", exc.errcode)
            raise NotIdentified(UNAVAILABLE) from None
        except TimeoutError:
            log.warning("user info timed out")
            raise NotIdentified(UNAVAILABLE) from None
        self._unionids.put((account, openid), info.unionid)
        return info.unionid

    async def citizen_id(self, account: str, openid: str, *, timeout: float) -> str:
        """The citizen_id of the person behind `openid` with `account`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        unionid = await self.unionid(account, openid, timeout=timeout)
        key = (account, openid, unionid)
        found, citizen_id = self._citizens.get(key)
        if found and citizen_id:
            return citizen_id
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise NotIdentified(UNAVAILABLE)
        try:
            citizen_id = await resolve_citizen(
                self.upstreams,
                secret=self.secret,
                account=account,
                openid=openid,
                unionid=unionid,
                timeout=remaining,
            )
        except ResolveRefused as exc:
            log.error("accounts refused to resolve a chatting citizen of %s: %s", account, exc)
            raise NotIdentified(UNAVAILABLE) from None
        except (UpstreamUnavailable, UpstreamTimeout) as exc:
            log.warning("citizen resolve failed: %s", type(exc).__name__)
            raise NotIdentified(UNAVAILABLE) from None
        self._citizens.put(key, citizen_id)
        return citizen_id

    async def identify(
        self, account: str, openid: str, service: str, *, timeout: float
    ) -> ChatIdentity:
        """The citizen behind `openid`, with their consent for `service`'s records checked and
        the token to call it with; NotIdentified (with the answer to give) otherwise."""
        if not self.gives_personal_answers(account):
            log.error(
                "personal answer refused: the account runs in plain mode",
                extra={"alert": ALERT, "account": account, "records": service},
            )
            app = SERVICE_APPS.get(service, "相应的政务服务应用")
            raise NotIdentified(PLAIN_MODE_REFUSAL.format(app=app))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        citizen_id = await self.citizen_id(account, openid, timeout=timeout)
        purpose = PURPOSE_OF_SERVICE.get(service)
        if purpose is not None:
            await self._check_consent(citizen_id, purpose, timeout=deadline - loop.time())
        return ChatIdentity(
            citizen_id=citizen_id,
            service=service,
            authorization=self.authorization(citizen_id, service),
        )

    def authorization(self, citizen_id: str, service: str) -> str:
        """`Bearer <internal citizen token>` for `service`."""
        return citizen_authorization(secret=self.secret, citizen_id=citizen_id, service=service)

    async def _check_consent(self, citizen_id: str, purpose: str, *, timeout: float) -> None:
        if timeout <= 0:
            raise NotIdentified(UNAVAILABLE)
        try:
            status, body = await self.upstreams.get_json(
                "accounts",
                "/v1/me/consents",
                headers=[("authorization", self.authorization(citizen_id, "accounts"))],
                timeout=timeout,
            )
        except (UpstreamUnavailable, UpstreamTimeout, ValueError) as exc:
            log.warning("consents unavailable: %s", type(exc).__name__)
            raise NotIdentified(UNAVAILABLE) from None
        if status != 200 or not isinstance(body, dict):
            log.error("accounts answered %s to a consent lookup", status)
            raise NotIdentified(UNAVAILABLE)
        state = next(
            (
                item
                for item in body.get("items") or ()
                if isinstance(item, dict) and item.get("purpose") == purpose
            ),
            None,
        )
        consent = str((state or {}).get("status") or "not_granted")
        title = str((state or {}).get("title") or PURPOSE_TITLES.get(purpose, purpose))
        if consent == "withdrawn":
            raise NotIdentified(CONSENT_WITHDRAWN.format(title=title))
        if consent != "granted" and self.consent_rule == "granted":
            raise NotIdentified(CONSENT_MISSING.format(title=title))
