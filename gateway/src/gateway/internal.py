"""`/internal/...`: what services ask of the gateway itself, never public (not in the OpenAPI).

These routes are served by their own app (`create_internal_app`) on the internal listener
(`GATEWAY_INTERNAL_PORT`, see `gateway.listeners`), never by the public app: the public port
answers 404 for `/internal/...` even to a valid service token.

`POST /internal/wechat/{account_code}/mass-news` sends one article to the account's followers as a
WeChat mass send, on behalf of a service. The gateway owns the account's credentials (DESIGN §1,
§7); the service only says what to send, in one of two shapes:
- a text and a PNG picture (`text`, `image_png_base64`: the weather bureau's daily bulletin): the
  picture is the cover and follows the text's paragraphs inside the article;
- an article's HTML and its cover (`content_html`, `cover_base64`, PNG or JPEG: an editor's
  article from accounts, sanitised there), with an optional `content_source_url` (阅读原文).
With `town`, only the followers under the account's user tag of that name (the town's code, e.g.
`dalang`, as the account's operators tag followers) receive it, through WeChat's mass send by
tag (`filter.tag_id`, which subscription accounts may use, unlike the send to an openid list); an
account without such a tag is a 409.

Caller: `Authorization: Bearer <service token>` minted with INTERNAL_TOKEN_SECRET by the service
(`servicekit.identity.service_token(caller=<service>, audience="gateway")`), the service being one
of `GATEWAY_INTERNAL_CALLERS`. Any other token (a citizen's app token, an internal citizen or staff
token) or a staff API key is refused (401 without a valid token of ours, 403 for the wrong kind or
caller), before the body is read.

Steps: the picture is added as permanent material (the article's cover) and, for a text, uploaded
for the article's content; the article is uploaded (`media/uploadnews`) and mass-sent as `mpnews`
with the caller's `clientmsgid`. WeChat keeps a clientmsgid per account: a second send with it, even
concurrent with the first, is not sent again and answers the first send's msg_id with
`duplicate: true`.
"""

from __future__ import annotations

import base64
import binascii
import html
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gateway.platform import PlatformClient, PlatformError, Upload, mpnews_message
from gateway.state import StateDep, gateway_state, install_state
from gateway.wechat.body import BodyTooLarge, PayloadTooLarge, read_capped_body
from servicekit.app import create_service_app
from servicekit.errors import PROBLEM_JSON, Conflict, Forbidden, NotFound
from servicekit.identity import Identity, current_identity

log = logging.getLogger("gateway.internal")

router = APIRouter(prefix="/internal", include_in_schema=False)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# WeChat takes pictures of at most 1 MB inside article content (media/uploadimg).
MAX_IMAGE_BYTES = 1024 * 1024
# The picture in base64 plus the text, with room to spare; anything larger is refused unread.
MAX_BODY_BYTES = 2 * 1024 * 1024
# WeChat's limits on an article (mass send clientmsgid, title, author, digest).
CLIENTMSGID_MAX = 64
TITLE_MAX = 64
AUTHOR_MAX = 8
DIGEST_MAX = 120
CONTENT_MAX = 20000


def internal_caller(request: Request, state: StateDep) -> Identity:
    """The calling service: a valid service token naming one of `GATEWAY_INTERNAL_CALLERS`."""
    identity = current_identity(request)  # 401 without a valid token addressed to the gateway
    allowed = state.settings.internal_callers
    if identity.kind != "service" or identity.issuer not in allowed:
        raise Forbidden("此接口仅供内部服务调用。")
    return identity


CallerDep = Annotated[Identity, Depends(internal_caller)]


def decode_picture(value: str, *, jpeg: bool = False) -> Upload:
    """The PNG (or, with `jpeg`, JPEG) in `value` (base64, whitespace ignored), by its first
    bytes; ValueError when it is not one."""
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("不是有效的 base64 编码") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"图片超过 {MAX_IMAGE_BYTES // 1024} KB")
    if data.startswith(PNG_SIGNATURE):
        return Upload(data, filename="picture.png")
    if jpeg and data.startswith(JPEG_SIGNATURE):
        return Upload(data, filename="picture.jpg", content_type="image/jpeg")
    raise ValueError("不是 PNG 或 JPEG 图片" if jpeg else "不是 PNG 图片")


class MassNewsIn(BaseModel):
    """One article to mass-send: a title, the text and a picture, or an article's HTML and its
    cover; to all followers or to a town's."""

    model_config = ConfigDict(extra="forbid")

    clientmsgid: str = Field(
        min_length=1,
        max_length=CLIENTMSGID_MAX,
        pattern=r"^[\x21-\x7e]+$",
        description="makes the send idempotent per account, e.g. the bulletin's date",
    )
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    text: str | None = Field(
        default=None, min_length=1, max_length=5000, description="paragraphs, one per line"
    )
    image_png_base64: str | None = Field(
        default=None, min_length=1, description="with text: the picture, PNG, at most 1 MB"
    )
    content_html: str | None = Field(
        default=None,
        min_length=1,
        max_length=CONTENT_MAX,
        description="instead of text: the article's HTML, sanitised by the service",
    )
    cover_base64: str | None = Field(
        default=None, min_length=1, description="with content_html: the cover, PNG or JPEG, 1 MB"
    )
    content_source_url: str | None = Field(
        default=None, max_length=1024, pattern=r"^https?://\S+$", description="阅读原文"
    )
    town: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_]{1,32}$",
        description="only the followers under the user tag of this name (a town code)",
    )
    digest: str | None = Field(
        default=None, max_length=DIGEST_MAX, description="the card's summary; the text if unset"
    )
    author: str | None = Field(default=None, max_length=AUTHOR_MAX)

    @field_validator("title", "text")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("不能为空")
        return value

    @field_validator("image_png_base64")
    @classmethod
    def _png(cls, value: str | None) -> str | None:
        if value is not None:
            decode_picture(value)
        return value

    @field_validator("cover_base64")
    @classmethod
    def _cover(cls, value: str | None) -> str | None:
        if value is not None:
            decode_picture(value, jpeg=True)
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> MassNewsIn:
        bulletin = (self.text, self.image_png_base64)
        article = (self.content_html, self.cover_base64)
        chosen, other = (bulletin, article) if any(bulletin) else (article, bulletin)
        if not all(chosen) or any(other):
            raise ValueError("应为 text 与 image_png_base64，或 content_html 与 cover_base64")
        return self


class MassNewsOut(BaseModel):
    """The mass send: WeChat's msg_id, and whether the clientmsgid had been sent already."""

    msg_id: int
    duplicate: bool


def article_content(text: str, image_url: str, alt: str) -> str:
    """The article's HTML: each non-empty line of `text` a paragraph, then the picture."""
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    body = "".join(f"<p>{html.escape(line)}</p>" for line in paragraphs)
    picture = f'<p><img src="{html.escape(image_url)}" alt="{html.escape(alt)}"></p>'
    return body + picture


async def _article(platform: PlatformClient, account: str, body: MassNewsIn) -> dict[str, Any]:
    """The article for `media/uploadnews`, its pictures uploaded to the platform."""
    if body.content_html is not None and body.cover_base64 is not None:
        picture = decode_picture(body.cover_base64, jpeg=True)
        content = body.content_html
        summary = body.digest if body.digest is not None else ""
    else:
        assert body.text is not None and body.image_png_base64 is not None
        picture = decode_picture(body.image_png_base64)
        inline_url = await platform.upload_image(account, picture)
        content = article_content(body.text, inline_url, body.title)
        summary = body.digest if body.digest is not None else default_digest(body.text)
    cover = await platform.add_material(account, "image", picture)
    return {
        "thumb_media_id": cover.media_id,
        "title": body.title,
        "content": content,
        "digest": summary,
        "author": body.author or "",
        "content_source_url": body.content_source_url or "",
        "show_cover_pic": 0,
    }


async def _town_tag(platform: PlatformClient, account: str, town: str) -> int:
    """The id of the account's user tag named `town`; 409 when it has none."""
    tag_id = (await platform.user_tags(account)).get(town)
    if tag_id is None:
        raise Conflict(f"公众号 {account} 没有名为 {town} 的用户标签，无法按镇街群发。")
    return tag_id


def default_digest(text: str) -> str:
    """The text on one line, cut to WeChat's digest limit."""
    flat = " ".join(text.split())
    return flat if len(flat) <= DIGEST_MAX else flat[: DIGEST_MAX - 1] + "…"


async def _read_body(request: Request) -> MassNewsIn:
    try:
        raw = await read_capped_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        raise PayloadTooLarge(f"请求体超过 {MAX_BODY_BYTES // 1024} KB。") from None
    try:
        return MassNewsIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _platform_refused(request: Request, account: str, exc: PlatformError) -> JSONResponse:
    """502 problem+json naming WeChat's errcode (also as `errcode` and `errmsg` members)."""
    log.warning("mass news for %s refused by the platform: %s %s", account, exc.errcode, exc.errmsg)
    return JSONResponse(
        {
            "type": "about:blank",
            "title": "Bad Gateway",
            "status": 502,
            "detail": f"微信平台拒绝了群发：errcode {exc.errcode}（{exc.errmsg}）",
            "instance": request.url.path,
            "errcode": exc.errcode,
            "errmsg": exc.errmsg,
        },
        status_code=502,
        media_type=PROBLEM_JSON,
    )


@router.post("/wechat/{account_code}/mass-news", response_model=MassNewsOut)
async def mass_news(
    account_code: str, request: Request, caller: CallerDep, state: StateDep
) -> MassNewsOut | JSONResponse:
    """Mass-send one article to all followers of the account, or to one town's."""
    platform = state.platform
    if account_code not in platform.accounts:
        raise NotFound(f"网关未配置公众号 {account_code}。")
    body = await _read_body(request)
    try:
        tag_id = None if body.town is None else await _town_tag(platform, account_code, body.town)
        article = await _article(platform, account_code, body)
        news = await platform.upload_news(account_code, [article])
        sent = await platform.mass_send(
            account_code, mpnews_message(news.media_id), body.clientmsgid, tag_id=tag_id
        )
    except PlatformError as exc:
        return _platform_refused(request, account_code, exc)
    log.info(
        "mass news for %s (%s) by %s: clientmsgid %s, msg_id %s%s",
        account_code,
        body.town or "all followers",
        caller.issuer,
        body.clientmsgid,
        sent.msg_id,
        " (sent before)" if sent.duplicate else "",
    )
    return MassNewsOut(msg_id=sent.msg_id, duplicate=sent.duplicate)


def create_internal_app(public: FastAPI) -> FastAPI:
    """The internal listener's app: `/internal/...` (with health and metrics) on the state of the
    public app `public` (one settings object, one platform client).

    It has no lifespan of its own: the public app's starts and closes the shared platform client,
    so it is served only while that lifespan runs, in the same event loop
    (`gateway.listeners.GatewayListeners`).
    """
    from gateway.datacube import router as datacube  # it takes this module's CallerDep
    from gateway.notices import router as notices  # so does this

    state = gateway_state(public)
    app = create_service_app(
        state.settings,
        title="guanwei gateway: internal routes",
        routers=[router, datacube, notices],
    )
    install_state(app, state)
    return app
