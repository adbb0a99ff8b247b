"""Each account's chat configuration (menu, welcome text, keyword rules) from the accounts registry.

`GET /v1/accounts/{code}/chat-config` is read through a short TTL cache with one fetch in flight
per account. When the registry cannot be read the last good configuration is used (however old);
without one, a built-in configuration answers: for 东莞天气 its keyword `天气`, for every account a
short help text.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gateway.upstreams import Upstreams
from gateway.wechat.flights import Refreshed
from servicekit.errors import UpstreamUnavailable

log = logging.getLogger("gateway.wechat.config")

# A configuration fetch leaves most of the handler budget to the handler.
FETCH_TIMEOUT_SECONDS = 1.0
MAX_HELP_KEYWORDS = 8
# A pattern shown in help must be a plain word: no regex syntax, and not a menu key like WEATHER_X.
_PLAIN_WORD = re.compile(r"^[\w\u4e00-\u9fff]{1,12}$")
_MENU_KEY = re.compile(r"^[A-Z0-9_]+$")
# The reply type of a rule answered by a service's intent.
INTENT = "intent"


@dataclass(frozen=True)
class KeywordRule:
    """One keyword rule: which texts it matches and how it answers."""

    position: int
    match: str  # exact | contains | regex
    patterns: tuple[str, ...]
    reply_type: str  # text | news | intent (formerly "handler")
    reply_text: str | None = None
    articles: tuple[dict[str, Any], ...] = ()
    intent: str | None = None  # `<service>.<name>`, answered by that service
    params: dict[str, str] = field(default_factory=dict)

    def matches(self, text: str) -> bool:
        """Whether any pattern matches `text` (the accounts contract; case-sensitive)."""
        if self.match == "exact":
            return text.strip() in self.patterns
        if self.match == "contains":
            return any(p in text for p in self.patterns)
        if self.match == "regex":
            for pattern in self.patterns:
                try:
                    if re.search(pattern, text):
                        return True
                except re.error:
                    log.warning("skipping an invalid keyword pattern", extra={"pattern": pattern})
        return False

    @classmethod
    def from_json(cls, rule: dict[str, Any]) -> KeywordRule:
        """A rule of the chat-config document."""
        reply_type = str(rule.get("reply_type") or "")
        return cls(
            position=int(rule.get("position") or 0),
            match=str(rule.get("match") or ""),
            patterns=tuple(str(p) for p in rule.get("patterns") or ()),
            reply_type=INTENT if reply_type == "handler" else reply_type,
            reply_text=rule.get("reply_text"),
            articles=tuple(rule.get("articles") or ()),
            # The registry named intents `handler` before they moved to the services.
            intent=rule.get("intent") or rule.get("handler"),
            params={str(k): str(v) for k, v in (rule.get("params") or {}).items()},
        )


@dataclass(frozen=True)
class ChatConfig:
    """An account's chat configuration; `builtin` when the registry's could not be read."""

    account_code: str
    menu: dict[str, Any] | None = None
    welcome_text: str = ""
    keyword_rules: tuple[KeywordRule, ...] = ()
    builtin: bool = False
    help_text: str | None = None  # overrides the help derived from menu and rules

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ChatConfig:
        """The chat-config document of the accounts service."""
        rules = [KeywordRule.from_json(r) for r in document.get("keyword_rules") or ()]
        menu = document.get("menu")
        return cls(
            account_code=str(document.get("account_code") or ""),
            menu=menu if isinstance(menu, dict) else None,
            welcome_text=str(document.get("welcome_text") or ""),
            keyword_rules=tuple(sorted(rules, key=lambda r: r.position)),
        )

    def rule_for(self, text: str) -> KeywordRule | None:
        """The first rule, by position, that matches `text`."""
        return next((r for r in self.keyword_rules if r.matches(text)), None)

    def menu_buttons(self) -> list[dict[str, Any]]:
        """The menu's leaf buttons (sub-buttons, and top-level buttons without any)."""
        leaves: list[dict[str, Any]] = []
        for button in (self.menu or {}).get("button") or ():
            if not isinstance(button, dict):
                continue
            subs = button.get("sub_button")
            if subs:
                leaves += [b for b in subs if isinstance(b, dict)]
            else:
                leaves.append(button)
        return leaves

    def menu_keys(self) -> list[str]:
        """The keys of the menu's buttons that send an event with a key."""
        return [str(b["key"]) for b in self.menu_buttons() if b.get("key")]

    def help(self) -> str:
        """What the account can do: its menu's buttons and the plain keywords of its rules."""
        if self.help_text is not None:
            return self.help_text
        names = [str(b.get("name")) for b in self.menu_buttons() if b.get("name")]
        keys = set(self.menu_keys())
        keywords: list[str] = []
        for rule in self.keyword_rules:
            for pattern in rule.patterns:
                candidates = [pattern]
                if rule.match == "regex":
                    # Only a plain alternation (天气|预报) names keywords a citizen can send.
                    candidates = pattern.split("|")
                    if not all(_PLAIN_WORD.match(w.strip()) for w in candidates):
                        continue
                for word in candidates:
                    word = word.strip()
                    if (
                        word in keys
                        or word in keywords
                        or _MENU_KEY.match(word)
                        or not _PLAIN_WORD.match(word)
                    ):
                        continue
                    keywords.append(word)
        parts = []
        if names:
            parts.append("点击下方菜单" + "".join(f"“{n}”" for n in names))
        if keywords:
            parts.append("回复关键词" + "".join(f"“{w}”" for w in keywords[:MAX_HELP_KEYWORDS]))
        if not parts:
            return GENERIC_HELP
        return "您好！您可以" + "，或".join(parts) + "。"


GENERIC_HELP = "您好！服务正在更新，请稍后再试，或点击下方菜单。"
DGTQ_HELP = "您好，这里是东莞天气。\n回复“天气”查看东莞今日天气和未来几天预报。"


def builtin_config(account_code: str) -> ChatConfig:
    """What an account answers when its registry configuration has never been read."""
    if account_code == "dgtq":
        rule = KeywordRule(
            position=0,
            match="regex",
            patterns=("天气|预报",),
            reply_type=INTENT,
            intent="weather.today",
        )
        return ChatConfig("dgtq", keyword_rules=(rule,), builtin=True, help_text=DGTQ_HELP)
    return ChatConfig(account_code, builtin=True, help_text=GENERIC_HELP)


class ChatConfigs:
    """Chat configurations read from accounts, cached for `ttl` seconds per account; while one
    cannot be read, the last good one serves, else the built-in one."""

    def __init__(
        self, upstreams: Upstreams, *, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.upstreams = upstreams
        # Any failure falls back: the callback must still answer.
        self._configs: Refreshed[str, ChatConfig] = Refreshed(
            self._fetch, fallback=builtin_config, ttl=ttl, what="chat config", clock=clock
        )

    async def get(self, account_code: str, *, timeout: float = FETCH_TIMEOUT_SECONDS) -> ChatConfig:
        """The account's configuration: cached, fetched (once for all callers), or a fallback."""
        return await self._configs.get(account_code, timeout=timeout)

    def invalidate(self, account_code: str | None = None) -> None:
        """Forget the cached configuration of one account, or of all."""
        self._configs.forget(account_code)

    async def _fetch(self, account_code: str, timeout: float) -> ChatConfig:
        config = await fetch_chat_config(self.upstreams, account_code, timeout=timeout)
        if config is None:
            raise UpstreamUnavailable("accounts does not know the account")
        return config


async def fetch_chat_config(
    upstreams: Upstreams, account_code: str, *, timeout: float
) -> ChatConfig | None:
    """The account's configuration read from the registry now; None when it has no such account.

    Raises UpstreamUnavailable / UpstreamTimeout (or ValueError for a body that is not JSON)
    when the registry cannot answer.
    """
    status, body = await upstreams.get_json(
        "accounts", f"/v1/accounts/{quote(account_code, safe='')}/chat-config", timeout=timeout
    )
    if status == 404:
        return None
    if status != 200 or not isinstance(body, dict):
        raise UpstreamUnavailable(f"accounts answered {status}")
    return ChatConfig.from_json(body)
