"""Each account's custom menu, published from the accounts registry to the WeChat platform.

The registry keeps an account's menu in WeChat's own `{"button": [...]}` shape; `wechat_menu`
turns it into exactly the `menu/create` body (each button with the fields its type takes, nothing
else). A sync reads each account's configuration from the registry afresh (never the chat cache,
whose stale or built-in fallback must not be published), compares it with what the platform has
(`menu/get`) and publishes only when they differ, so a sync that finds nothing changed writes
nothing.

An account whose registry configuration has no menu (or that the registry does not know) is left
alone rather than having its menu deleted: its menu may be managed on WeChat's own console, and a
registry entry briefly without a menu must never take the buttons away from citizens. Removing a
menu is an explicit act on the platform.

The gateway runs the sync in the background (`run`): shortly after start, again every few seconds
for the accounts whose registry or platform could not be reached yet, then every
`GATEWAY_WECHAT_MENU_SYNC_SECONDS`. `python -m gateway publish-menus` runs one sync. With several
workers each runs it; publishing the same menu twice is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from gateway.platform import PlatformClient, PlatformError
from gateway.platform.errors import SYSTEM_BUSY
from gateway.settings import GatewaySettings
from gateway.upstreams import Upstreams
from gateway.wechat.chat_config import fetch_chat_config
from servicekit.errors import UpstreamTimeout, UpstreamUnavailable
from wechat.menus import FIELDS_BY_TYPE

log = logging.getLogger("gateway.wechat.menus")

REGISTRY_TIMEOUT_SECONDS = 5.0
FIRST_SYNC_DELAY_SECONDS = 2.0
RETRY_SECONDS = 5.0


class InvalidMenu(ValueError):
    """A menu that cannot be turned into a `menu/create` body."""


def wechat_menu(menu: Mapping[str, Any]) -> dict[str, Any]:
    """The `menu/create` body of a registry menu (or of one `menu/get` returned).

    Buttons with sub-buttons keep only `name` and `sub_button`; leaf buttons keep `type`, `name`
    and the fields of their type (click: key, view: url, ...). An empty `sub_button`, which
    `menu/get` adds to every leaf, is dropped; anything else unknown is left out.
    """
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not buttons:
        raise InvalidMenu("a menu needs a list of buttons")
    return {"button": [_button(b, top=True) for b in buttons]}


def _button(button: Any, *, top: bool) -> dict[str, Any]:
    if not isinstance(button, Mapping):
        raise InvalidMenu("a button must be an object")
    name = button.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidMenu("a button needs a name")
    subs = button.get("sub_button")
    if subs:
        if not top:
            raise InvalidMenu(f"sub-button {name!r} cannot have sub-buttons")
        if not isinstance(subs, list):
            raise InvalidMenu(f"the sub_button of {name!r} must be a list")
        return {"name": name, "sub_button": [_button(s, top=False) for s in subs]}
    kind = button.get("type")
    fields = FIELDS_BY_TYPE.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise InvalidMenu(f"button {name!r} has an unsupported type {kind!r}")
    converted = {"type": kind, "name": name}
    for attr in fields:
        value = button.get(attr)
        if not isinstance(value, str) or not value:
            raise InvalidMenu(f"button {name!r} ({kind}) needs {attr}")
        converted[attr] = value
    return converted


class MenuOutcome(StrEnum):
    """What a sync did for one account."""

    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    NO_MENU = "no menu in the registry; left alone"


@dataclass
class MenuSync:
    """The result of one sync: each account's outcome, or why it failed."""

    outcomes: dict[str, MenuOutcome] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    # Failed only because the registry or the platform could not be reached: worth a retry soon.
    unreachable: list[str] = field(default_factory=list)


def _transient(exc: Exception) -> bool:
    """Whether a failed sync may well succeed soon (the registry or the platform not reachable)."""
    if isinstance(exc, InvalidMenu):
        return False
    if isinstance(exc, PlatformError):
        return exc.errcode == SYSTEM_BUSY  # PlatformUnavailable too
    # ValueError: a registry answer that was not JSON (say, a proxy's error page).
    return isinstance(exc, (UpstreamUnavailable, UpstreamTimeout, ValueError))


class MenuPublisher:
    """Publishes each account's registry menu to the platform when the platform's differs."""

    def __init__(
        self,
        upstreams: Upstreams,
        platform: PlatformClient,
        accounts: Sequence[str],
        *,
        registry_timeout: float = REGISTRY_TIMEOUT_SECONDS,
    ) -> None:
        self.upstreams = upstreams
        self.platform = platform
        self.accounts = list(accounts)
        self.registry_timeout = registry_timeout

    async def sync_account(self, code: str) -> MenuOutcome:
        """Publish the account's registry menu if the platform's differs; raise on failure."""
        config = await fetch_chat_config(self.upstreams, code, timeout=self.registry_timeout)
        if config is None or config.menu is None:
            return MenuOutcome.NO_MENU
        wanted = wechat_menu(config.menu)
        current = await self.platform.get_menu(code)
        if current is not None and _as_published(current) == wanted:
            return MenuOutcome.UNCHANGED
        await self.platform.publish_menu(code, wanted)
        return MenuOutcome.PUBLISHED

    async def sync(self, accounts: Iterable[str] | None = None) -> MenuSync:
        """Sync each account (all configured ones by default); failures are logged, not raised."""
        result = MenuSync()
        for code in self.accounts if accounts is None else accounts:
            try:
                outcome = await self.sync_account(code)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                result.failures[code] = reason
                if _transient(exc):
                    result.unreachable.append(code)
                    log.warning("menu of %s not synced yet: %s", code, reason)
                else:
                    log.error("menu of %s cannot be published: %s", code, reason)
                continue
            result.outcomes[code] = outcome
            if outcome is MenuOutcome.PUBLISHED:
                log.info("published the menu of %s from the registry", code)
        return result

    async def run(
        self,
        interval: float,
        *,
        first_delay: float = FIRST_SYNC_DELAY_SECONDS,
        retry_delay: float = RETRY_SECONDS,
    ) -> None:
        """Sync forever: after `first_delay`, retrying unreachable accounts every `retry_delay`
        until all are done, then everything again every `interval` seconds."""
        await asyncio.sleep(first_delay)
        while True:
            pending: list[str] = list(self.accounts)
            while pending:
                pending = (await self.sync(pending)).unreachable
                if pending:
                    await asyncio.sleep(retry_delay)
            await asyncio.sleep(interval)


def _as_published(menu: Mapping[str, Any]) -> dict[str, Any] | None:
    """The platform's menu in `menu/create` form; None when it does not convert (so differs)."""
    try:
        return wechat_menu(menu)
    except InvalidMenu:
        return None


async def publish_menus(settings: GatewaySettings) -> MenuSync:
    """One sync of every configured account with clients of its own (`publish-menus`)."""
    upstreams = Upstreams(
        settings.upstream_urls(),
        connect_timeout=settings.connect_timeout_seconds,
        total_timeout=settings.upstream_timeout_seconds,
        timeouts=settings.upstream_timeouts,
    )
    # Through Redis when configured, so the command shares the running gateway's tokens.
    platform = PlatformClient(
        settings.wechat_api_base_url, settings.wechat_accounts, redis_url=settings.redis_url
    )
    await upstreams.start()
    await platform.start()
    try:
        codes = [a.code for a in settings.wechat_accounts]
        return await MenuPublisher(upstreams, platform, codes).sync()
    finally:
        await platform.close()
        await upstreams.close()
