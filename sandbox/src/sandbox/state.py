"""The simulated platform's memory: accounts, citizens, follows, interactions, inboxes, chats.

One process, in memory: every handler that reads and changes this state is `async def` and does
not await in between, so requests never interleave inside a rule.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict

from sandbox.clock import Clock
from sandbox.conversation import ChatEntry, Direction, EntryKind, summarize
from sandbox.settings import AccountKind, SandboxSettings
from sandbox.tokens import TokenRegistry
from wechat.accounts import WechatAccount
from wechat.demo_citizens import DEMO_CITIZENS, DemoCitizen

DeliveryKind = Literal["custom", "template", "mass"]
# image / thumb: permanent material (add_material); content_image: a picture for article content
# (media/uploadimg, only a URL to the caller); news: articles for a mass send (media/uploadnews).
MediaKind = Literal["image", "thumb", "content_image", "news"]


class Account(WechatAccount):
    """An official account as the platform knows it: as configured, with its name and kind."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: AccountKind

    @property
    def original_id(self) -> str:
        """The account's original id (原始 ID, `gh_` + 12 hex), the ToUserName of callbacks."""
        # Derived from the appid so it is the same on every run, like the citizens' ids.
        return "gh_" + hashlib.sha256(f"original:{self.appid}".encode()).hexdigest()[:12]


@dataclass(frozen=True)
class InboxMessage:
    """Something an account sent a citizen."""

    id: int
    at: float
    account: str
    openid: str
    kind: DeliveryKind
    msgtype: str
    content: dict[str, Any]
    msgid: int | None = None


@dataclass
class Interaction:
    """A citizen's latest interaction with an account, and what was sent back since."""

    at: float
    kind: str
    custom_sent: int = 0


@dataclass
class AuthorizationCode:
    """An OAuth2 `code` handed to a web page: single use, short-lived."""

    appid: str
    citizen_id: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass
class MassQuota:
    """Mass sends counted per account per day and per follower per month."""

    per_day: Counter[tuple[str, str]] = field(default_factory=Counter)
    per_follower: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    by_clientmsgid: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class Media:
    """Something an account uploaded: a picture (served back at `url`) or news articles."""

    media_id: str
    appid: str
    kind: MediaKind
    created_at: float
    data: bytes = b""
    content_type: str = ""
    url: str = ""
    articles: list[dict[str, Any]] = field(default_factory=list)
    expires_at: float | None = None


@dataclass(frozen=True)
class MassSend:
    """A mass send the platform accepted, with what it carried (media resolved)."""

    msg_id: int
    at: float
    account: str
    clientmsgid: str | None
    msgtype: str
    content: dict[str, Any]
    recipients: int


class SandboxState:
    """Everything the simulated platform remembers."""

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.clock = Clock()
        self.accounts: dict[str, Account] = {}
        for item in settings.wechat_accounts:
            profile = settings.profile(item.code)
            self.accounts[item.code] = Account(
                **item.model_dump(), name=profile.name, kind=profile.kind
            )
        self._by_appid = {a.appid: a for a in self.accounts.values()}
        self.citizens: dict[str, DemoCitizen] = {c.id: c for c in DEMO_CITIZENS}
        self._by_openid = {
            (a.appid, c.openid(a.appid)): c for a in self.accounts.values() for c in DEMO_CITIZENS
        }
        self.follows: dict[tuple[str, str], float] = {}
        self.interactions: dict[tuple[str, str], Interaction] = {}
        self.inboxes: dict[str, list[InboxMessage]] = {c.id: [] for c in DEMO_CITIZENS}
        self.menus: dict[str, dict[str, Any]] = {}
        self.conversations: dict[tuple[str, str], list[ChatEntry]] = {}
        self.mass = MassQuota()
        # User tags: names by id per appid, and the tag ids of each (appid, openid).
        self.tags: dict[str, dict[int, str]] = {}
        self.user_tags: dict[tuple[str, str], set[int]] = {}
        self._tag_ids = itertools.count(100)
        self.mass_sends: list[MassSend] = []
        self.media: dict[str, Media] = {}
        self.oauth_codes: dict[str, AuthorizationCode] = {}
        self.tokens = TokenRegistry(self.clock, settings)
        self.api_calls: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self._inbox_ids = itertools.count(1)
        self._entry_ids = itertools.count(1)
        self._msgids = itertools.count(1_000_000_001)

    def account_by_appid(self, appid: str) -> Account | None:
        """The account with this appid, if the platform has it."""
        return self._by_appid.get(appid)

    def citizen_by_openid(self, account: Account, openid: str) -> DemoCitizen | None:
        """Whose openid this is with `account`, if anyone's."""
        return self._by_openid.get((account.appid, openid))

    def is_following(self, account: Account, citizen: DemoCitizen) -> bool:
        """Whether the citizen follows the account now."""
        return (account.appid, citizen.openid(account.appid)) in self.follows

    def followers(self, account: Account) -> list[DemoCitizen]:
        """The account's followers, in the order they followed."""
        keys = sorted(
            (at, openid) for (appid, openid), at in self.follows.items() if appid == account.appid
        )
        return [self._by_openid[(account.appid, openid)] for _, openid in keys]

    def follow(self, account: Account, citizen: DemoCitizen) -> None:
        """The citizen follows the account (following counts as an interaction, as on WeChat)."""
        key = (account.appid, citizen.openid(account.appid))
        self.follows.setdefault(key, self.clock.now())
        self.interact(account, citizen, "subscribe")
        if self.settings.tag_followers_by_town:
            tag_id = self.tag_named(account, citizen.town) or self.create_tag(account, citizen.town)
            self.user_tags.setdefault(key, set()).add(tag_id)

    def tag_named(self, account: Account, name: str) -> int | None:
        """The id of the account's user tag called `name`, if it has one."""
        found = (i for i, n in self.tags.get(account.appid, {}).items() if n == name)
        return next(found, None)

    def create_tag(self, account: Account, name: str) -> int:
        """A new user tag of the account; its id."""
        tag_id = next(self._tag_ids)
        self.tags.setdefault(account.appid, {})[tag_id] = name
        return tag_id

    def tagged(self, account: Account, citizen: DemoCitizen) -> set[int]:
        """The ids of the account's tags the citizen is under."""
        return self.user_tags.get((account.appid, citizen.openid(account.appid)), set())

    def unfollow(self, account: Account, citizen: DemoCitizen) -> None:
        """The citizen stops following the account."""
        key = (account.appid, citizen.openid(account.appid))
        self.follows.pop(key, None)
        self.interactions.pop(key, None)

    def interact(self, account: Account, citizen: DemoCitizen, kind: str) -> Interaction:
        """Record that the citizen just messaged, clicked or followed: a new reply window opens."""
        interaction = Interaction(at=self.clock.now(), kind=kind)
        self.interactions[(account.appid, citizen.openid(account.appid))] = interaction
        return interaction

    def last_interaction(self, account: Account, citizen: DemoCitizen) -> Interaction | None:
        """The citizen's latest interaction with the account, if any."""
        return self.interactions.get((account.appid, citizen.openid(account.appid)))

    def deliver(
        self,
        account: Account,
        citizen: DemoCitizen,
        kind: DeliveryKind,
        msgtype: str,
        content: dict[str, Any],
        msgid: int | None = None,
    ) -> InboxMessage:
        """Put a message from the account into the citizen's inbox."""
        message = InboxMessage(
            id=next(self._inbox_ids),
            at=self.clock.now(),
            account=account.code,
            openid=citizen.openid(account.appid),
            kind=kind,
            msgtype=msgtype,
            content=content,
            msgid=msgid,
        )
        self.inboxes[citizen.id].append(message)
        self.record(account, citizen, "to_citizen", kind, msgtype, content)
        return message

    def record(
        self,
        account: Account,
        citizen: DemoCitizen,
        direction: Direction,
        kind: EntryKind,
        msgtype: str,
        content: dict[str, Any],
    ) -> ChatEntry:
        """Append a line to the conversation of the citizen and the account."""
        entry = ChatEntry(
            id=next(self._entry_ids),
            at=self.clock.now(),
            direction=direction,
            kind=kind,
            msgtype=msgtype,
            content=content,
            summary=summarize(msgtype, content),
        )
        self.conversations.setdefault((citizen.id, account.code), []).append(entry)
        return entry

    def conversation(self, account: Account, citizen: DemoCitizen) -> list[ChatEntry]:
        """The conversation of the citizen and the account, oldest first."""
        return self.conversations.get((citizen.id, account.code), [])

    def add_media(self, account: Account, kind: MediaKind, **fields: Any) -> Media:
        """Store an upload of `account` under a new media_id (opaque, 64 characters as WeChat's)."""
        media = Media(
            media_id=secrets.token_urlsafe(48),
            appid=account.appid,
            kind=kind,
            created_at=self.clock.now(),
            **fields,
        )
        self.media[media.media_id] = media
        return media

    def media_of(self, account: Account, media_id: Any, *kinds: MediaKind) -> Media | None:
        """The account's own unexpired media of one of `kinds` with this id, if any."""
        media = self.media.get(media_id) if isinstance(media_id, str) else None
        if media is None or media.appid != account.appid or media.kind not in kinds:
            return None
        if media.expires_at is not None and media.expires_at <= self.clock.now():
            return None
        return media

    def next_msgid(self) -> int:
        """A new platform message id (template msgid, mass msg_id)."""
        return next(self._msgids)
