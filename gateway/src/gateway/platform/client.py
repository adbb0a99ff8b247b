"""`PlatformClient`: the gateway's calls to the WeChat platform API (the sandbox in development).

Calls that carry an access token get it from the one owner per account (`tokens.py`); when the
platform refuses the token (40001/40014/42001) the client drops it, refetches once and retries
the call once. The base URL is `GATEWAY_WECHAT_API_BASE_URL`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from redis.asyncio import Redis
from yarl import URL

from gateway.platform.errors import PlatformError, PlatformUnavailable
from gateway.platform.tokens import (
    DEFAULT_MARGIN_SECONDS,
    AccessTokens,
    MemoryTokenCache,
    RedisTokenCache,
    TokenCache,
)
from gateway.settings import WechatAccount

log = logging.getLogger("gateway.platform")

CLIENTMSGID_EXISTS = 45065
MENU_NOT_FOUND = 46003
# A Redis that hangs must not hold a message up for long: fail and let the caller decide.
REDIS_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class MassSendResult:
    """A mass send the platform accepted; `duplicate` when its clientmsgid had been sent before."""

    msg_id: int
    msg_data_id: int | None
    duplicate: bool


class _Answer(BaseModel):
    """A successful answer of the platform, read by WeChat's field names."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Material(_Answer):
    """Permanent material the platform stored: its media_id and the picture's URL."""

    media_id: str = Field(min_length=1)
    url: str = ""


class NewsMedia(_Answer):
    """Articles uploaded for a mass send (`media/uploadnews`; the platform keeps them 3 days)."""

    media_id: str = Field(min_length=1)
    created_at: int = 0


class OAuthIdentity(_Answer):
    """Who signed in through OAuth2: the openid with this account and, when bound, the unionid."""

    openid: str
    unionid: str | None = None
    scope: str = ""
    access_token: str
    expires_in: int
    refresh_token: str = ""


AnswerT = TypeVar("AnswerT", bound=_Answer)


@dataclass(frozen=True)
class Upload:
    """A file sent as the multipart part `media` (a PNG picture unless said otherwise)."""

    data: bytes
    filename: str = "image.png"
    content_type: str = "image/png"


@dataclass(frozen=True)
class UserInfo:
    """A user of an account (`/cgi-bin/user/info`): whether they follow it, and their unionid
    (None when the account is not bound to an open-platform owner)."""

    openid: str
    subscribed: bool
    unionid: str | None
    subscribe_time: int | None = None
    language: str = ""


def text_message(content: str) -> dict[str, Any]:
    """A text message body for customer-service and mass sends."""
    return {"msgtype": "text", "text": {"content": content}}


def mpnews_message(media_id: str, *, send_ignore_reprint: bool = False) -> dict[str, Any]:
    """A mass-send body for articles uploaded with `upload_news`."""
    return {
        "msgtype": "mpnews",
        "mpnews": {"media_id": media_id},
        "send_ignore_reprint": int(send_ignore_reprint),
    }


class PlatformClient:
    """One aiohttp session to the platform and the token owner of every configured account."""

    def __init__(
        self,
        base_url: str,
        accounts: Sequence[WechatAccount],
        *,
        redis_url: str = "",
        timeout: float = 5.0,
        connect_timeout: float = 1.0,
        token_margin: float = DEFAULT_MARGIN_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.accounts = {a.code: a for a in accounts}
        self.redis_url = redis_url
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self.token_margin = token_margin
        self._session: aiohttp.ClientSession | None = None
        self._redis: Redis | None = None
        self._tokens: AccessTokens | None = None

    async def start(self) -> None:
        """Open the session (and the Redis pool when configured); call in the lifespan."""
        self._session = aiohttp.ClientSession(
            timeout=self.timeout, cookie_jar=aiohttp.DummyCookieJar()
        )
        cache: TokenCache
        if self.redis_url:
            self._redis = Redis.from_url(
                self.redis_url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            cache = RedisTokenCache(self._redis, margin=self.token_margin)
        else:
            cache = MemoryTokenCache(self.token_margin)
        self._tokens = AccessTokens(cache)

    async def close(self) -> None:
        """Close the session and the Redis connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def account(self, code: str) -> WechatAccount:
        """The configured account with this code (KeyError for an unknown one)."""
        return self.accounts[code]

    async def access_token(self, code: str) -> str:
        """The account's current access token, fetched only when no worker has a fresh one."""
        account = self.account(code)
        return await self._token_owner().get(account.appid, lambda: self._fetch_token(account))

    async def send_custom_message(
        self, account: str, openid: str, message: Mapping[str, Any]
    ) -> None:
        """Send a customer-service message (`message` in WeChat's JSON, e.g. `text_message`)."""
        await self._call(account, "/cgi-bin/message/custom/send", {**message, "touser": openid})

    async def send_template_message(
        self,
        account: str,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        *,
        url: str | None = None,
        miniprogram: Mapping[str, str] | None = None,
    ) -> int:
        """Send a template message (service accounts only); returns the platform's msgid."""
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url is not None:
            body["url"] = url
        if miniprogram is not None:
            body["miniprogram"] = miniprogram
        answer = await self._call(account, "/cgi-bin/message/template/send", body)
        return int(answer["msgid"])

    async def mass_send(
        self,
        account: str,
        message: Mapping[str, Any],
        clientmsgid: str,
        *,
        tag_id: int | None = None,
    ) -> MassSendResult:
        """Mass-send to all followers, or to those under the user tag `tag_id`; a reused
        `clientmsgid` answers the original send."""
        audience = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        body = {**message, "filter": audience, "clientmsgid": clientmsgid}
        try:
            answer = await self._call(account, "/cgi-bin/message/mass/sendall", body)
        except PlatformError as exc:
            # 45065: this clientmsgid was sent already (say, a retry after a lost answer).
            if exc.errcode == CLIENTMSGID_EXISTS and "msg_id" in exc.body:
                return MassSendResult(int(exc.body["msg_id"]), None, duplicate=True)
            raise
        data_id = answer.get("msg_data_id")
        return MassSendResult(
            int(answer["msg_id"]), None if data_id is None else int(data_id), duplicate=False
        )

    async def user_tags(self, account: str) -> dict[str, int]:
        """The account's user tags (`/cgi-bin/tags/get`), id by name."""
        answer = await self._call(account, "/cgi-bin/tags/get")
        tags = answer.get("tags")
        if not isinstance(tags, list):
            raise PlatformUnavailable("/cgi-bin/tags/get answered without tags")
        return {
            str(tag["name"]): int(tag["id"])
            for tag in tags
            if isinstance(tag, dict) and "name" in tag and isinstance(tag.get("id"), int)
        }

    async def upload_image(self, account: str, picture: Upload) -> str:
        """Upload a picture for use inside article content (jpg/png, at most 1 MB); its URL."""
        path = "/cgi-bin/media/uploadimg"
        answer = await self._call(account, path, upload=picture)
        return _field(answer, "url", path)

    async def add_material(self, account: str, media_type: str, material: Upload) -> Material:
        """Add permanent material: `media_type` image (bmp/png/jpeg/gif, 10 MB) or thumb (jpg,
        64 KB); either can be an article's cover (`thumb_media_id`)."""
        path = "/cgi-bin/material/add_material"
        answer = await self._call(account, path, upload=material, query={"type": media_type})
        return _parsed(Material, answer, path)

    async def upload_news(self, account: str, articles: Sequence[Mapping[str, Any]]) -> NewsMedia:
        """Upload 1-8 articles (`thumb_media_id`, `title`, `content`, `digest`, `author`,
        `content_source_url`, `show_cover_pic`) for a mass send (`mpnews_message`)."""
        path = "/cgi-bin/media/uploadnews"
        answer = await self._call(account, path, {"articles": list(articles)})
        return _parsed(NewsMedia, answer, path)

    async def publish_menu(self, account: str, menu: Mapping[str, Any]) -> None:
        """Publish the account's custom menu (`{"button": [...]}` as WeChat's JSON)."""
        await self._call(account, "/cgi-bin/menu/create", menu)

    async def get_menu(self, account: str) -> dict[str, Any] | None:
        """The account's published custom menu (`{"button": [...]}`), or None when it has none."""
        try:
            answer = await self._call(account, "/cgi-bin/menu/get")
        except PlatformError as exc:
            if exc.errcode == MENU_NOT_FOUND:
                return None
            raise
        menu = answer.get("menu")
        return menu if isinstance(menu, dict) else None

    async def datacube(self, account: str, api: str, begin: date, end: date) -> list[Any]:
        """The `list` a data API (`/datacube/<api>`, e.g. getarticlesummary) answers for the
        days begin..end; the platform refuses a span beyond the API's (61501)."""
        path = f"/datacube/{api}"
        body = {"begin_date": begin.isoformat(), "end_date": end.isoformat()}
        items = (await self._call(account, path, body)).get("list")
        if not isinstance(items, list):
            raise PlatformUnavailable(f"{path} answered without a list")
        return items

    async def user_info(self, account: str, openid: str, *, lang: str = "zh_CN") -> UserInfo:
        """Who `openid` is with the account: follower or not, and the unionid (40003 if unknown)."""
        answer = await self._call(
            account, "/cgi-bin/user/info", query={"openid": openid, "lang": lang}
        )
        unionid = answer.get("unionid")
        subscribe_time = answer.get("subscribe_time")
        return UserInfo(
            openid=str(answer.get("openid") or openid),
            subscribed=bool(answer.get("subscribe")),
            unionid=str(unionid) if unionid else None,
            subscribe_time=None if subscribe_time is None else int(subscribe_time),
            language=str(answer.get("language") or ""),
        )

    async def oauth_exchange_code(self, account: str, code: str) -> OAuthIdentity:
        """Exchange an OAuth2 `code` for the citizen's openid and unionid (40029/42003 if bad)."""
        acc = self.account(account)
        path = "/sns/oauth2/access_token"
        answer = await self._request(
            "GET",
            path,
            {
                "appid": acc.appid,
                "secret": acc.app_secret,
                "code": code,
                "grant_type": "authorization_code",
            },
        )
        return _parsed(OAuthIdentity, answer, path)

    async def _call(
        self,
        code: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        upload: Upload | None = None,
        query: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST `body` (or `upload` as multipart; GET without either) with the account's token;
        on a refused token, refetch once and retry once."""
        method = "GET" if body is None and upload is None else "POST"
        token = await self.access_token(code)
        try:
            return await self._request(
                method, path, {**(query or {}), "access_token": token}, body, upload
            )
        except PlatformError as exc:
            if not exc.token_rejected:
                raise
            log.warning("%s refused the token of %s (%s); refetching", path, code, exc.errcode)
        await self._token_owner().invalidate(self.account(code).appid, token)
        token = await self.access_token(code)
        return await self._request(
            method, path, {**(query or {}), "access_token": token}, body, upload
        )

    async def _fetch_token(self, account: WechatAccount) -> tuple[str, int]:
        answer = await self._request(
            "GET",
            "/cgi-bin/token",
            {
                "grant_type": "client_credential",
                "appid": account.appid,
                "secret": account.app_secret,
            },
        )
        log.info("fetched a new access token for %s", account.code)
        return answer["access_token"], int(answer["expires_in"])

    def _token_owner(self) -> AccessTokens:
        if self._tokens is None:
            raise RuntimeError("PlatformClient.start() has not been called")
        return self._tokens

    async def _request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Mapping[str, Any] | None = None,
        upload: Upload | None = None,
    ) -> dict[str, Any]:
        """One platform call; returns the answer or raises PlatformError (errcode != 0)."""
        if self._session is None:
            raise RuntimeError("PlatformClient.start() has not been called")
        data: bytes | aiohttp.FormData | None = None
        headers: dict[str, str] = {}
        if upload is not None:
            # A new form per attempt: aiohttp consumes a FormData when it sends it.
            data = aiohttp.FormData()
            data.add_field(
                "media", upload.data, filename=upload.filename, content_type=upload.content_type
            )
        elif body is not None:
            # WeChat shows \u escapes literally in some places (menus, messages): send real UTF-8.
            data = json.dumps(body, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json; charset=utf-8"}
        url = URL(self.base_url + path).with_query(dict(query))
        try:
            async with self._session.request(method, url, data=data, headers=headers) as resp:
                payload = await resp.read()
                status = resp.status
        # Logged by path only: the query carries the token or the app secret.
        except TimeoutError as exc:
            log.warning("WeChat platform timed out on %s", path)
            raise PlatformUnavailable(f"timed out calling {path}") from exc
        except aiohttp.ClientError as exc:
            log.warning("WeChat platform unreachable on %s: %s", path, type(exc).__name__)
            raise PlatformUnavailable(f"could not call {path}: {type(exc).__name__}") from exc
        try:
            answer = json.loads(payload)
        except ValueError:
            answer = None
        if status != 200 or not isinstance(answer, dict):
            raise PlatformUnavailable(f"{path} answered HTTP {status} without WeChat JSON")
        errcode = answer.get("errcode", 0)
        if errcode != 0:
            raise PlatformError(int(errcode), str(answer.get("errmsg", "")), answer)
        return answer


def _parsed(kind: type[AnswerT], answer: Mapping[str, Any], path: str) -> AnswerT:
    """A successful answer read as a `kind`; PlatformUnavailable when a field is missing or
    malformed."""
    try:
        return kind.model_validate(answer)
    except ValidationError as exc:
        names = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        raise PlatformUnavailable(f"{path} answered without a valid {', '.join(names)}") from None


def _field(answer: Mapping[str, Any], name: str, path: str) -> str:
    """A string field of a successful answer; PlatformUnavailable when the platform left it out."""
    value = answer.get(name)
    if not isinstance(value, str) or not value:
        raise PlatformUnavailable(f"{path} answered without {name}")
    return value
