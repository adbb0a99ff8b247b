"""Media and news: `/cgi-bin/media/uploadimg`, `/cgi-bin/material/add_material`,
`/cgi-bin/media/uploadnews`, and the sandbox's own URLs serving the pictures back.

As on WeChat, files come as `multipart/form-data` with the file in the part named `media`, and the
file's format is checked (here by its first bytes, never by the declared Content-Type):
- `media/uploadimg`: a jpg/png of at most 1 MB for use inside article content; answers `{url}`
  only (no media_id).
- `material/add_material?type=image|thumb`: permanent material; image = bmp/png/jpeg/gif of at
  most 10 MB, thumb = jpg of at most 64 KB; answers `{media_id, url}`. Either can be the cover
  (`thumb_media_id`) of an article.
- `media/uploadnews`: 1-8 articles; answers `{type: "news", media_id, created_at}`; the media_id can
  be mass-sent (msgtype `mpnews`) for 3 days.

Error codes: 41005 no `media` part (or an empty file), 40004 a `type` other than image/thumb,
40005 a file format the call does not take, 40009 a picture over the size limit, 40007 an unknown
`thumb_media_id` (or one of another account), 44003 no articles, 45008 more than 8,
45003/45110/45004/45002 title/author/digest/content too long, 47001 a malformed article.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from sandbox import errcodes
from sandbox.errcodes import WechatError
from sandbox.platform_api import CallerDep, StateDep, json_body
from sandbox.public_urls import public_url_for
from sandbox.state import Account, SandboxState
from sandbox.wiring import SandboxDep
from servicekit.errors import NotFound

router = APIRouter(tags=["微信公众平台接口（模拟）"])

# What each upload takes: the picture formats and the settings field holding its size limit.
_FORMATS = {
    "content_image": (frozenset({"jpeg", "png"}), "media_content_image_max_bytes"),
    "image": (frozenset({"bmp", "png", "jpeg", "gif"}), "media_image_max_bytes"),
    "thumb": (frozenset({"jpeg"}), "media_thumb_max_bytes"),
}
_CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "bmp": "image/bmp"}
# The biggest upload the sandbox reads at all (the largest limit plus multipart overhead).
_MAX_UPLOAD_BYTES = 11 * 1024 * 1024
# WeChat derives a missing digest from the start of the content.
_DIGEST_FROM_CONTENT_CHARS = 54
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def sniff(data: bytes) -> str | None:
    """The picture format of `data` by its signature: png, jpeg, gif or bmp."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM") and len(data) > 26:
        return "bmp"
    return None


@dataclass(frozen=True)
class Part:
    """One part of a multipart/form-data body."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_multipart(body: bytes, content_type: str) -> dict[str, Part]:
    """The parts of a multipart/form-data body by name (an empty dict when it is not one)."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return {}
    boundary = _param(params, "boundary")
    if not boundary:
        return {}
    parts: dict[str, Part] = {}
    sections = body.split(b"--" + boundary.encode("latin-1"))
    for section in sections[1:]:
        if section.startswith(b"--"):
            break
        section = section.removeprefix(b"\r\n")
        head, sep, data = section.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _param(disposition.partition(";")[2], "name")
        if name is None:
            continue
        parts.setdefault(
            name,
            Part(
                name=name,
                filename=_param(disposition.partition(";")[2], "filename"),
                content_type=headers.get("content-type", ""),
                data=data.removesuffix(b"\r\n"),
            ),
        )
    return parts


def _param(params: str, wanted: str) -> str | None:
    for item in params.split(";"):
        key, sep, value = item.strip().partition("=")
        if sep and key.strip().lower() == wanted:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


async def _picture(request: Request, state: SandboxState, kind: str) -> tuple[bytes, str]:
    """The uploaded picture of the `media` part and its content type, checked for `kind`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > _MAX_UPLOAD_BYTES:
        raise WechatError(errcodes.INVALID_IMAGE_SIZE, "invalid image size")
    body = await request.body()
    if len(body) > _MAX_UPLOAD_BYTES:
        raise WechatError(errcodes.INVALID_IMAGE_SIZE, "invalid image size")
    part = parse_multipart(body, request.headers.get("content-type", "")).get("media")
    if part is None or not part.data:
        raise WechatError(errcodes.MISSING_MEDIA, "media data missing")
    formats, limit_field = _FORMATS[kind]
    found = sniff(part.data)
    if found not in formats:
        raise WechatError(errcodes.INVALID_FILE_TYPE, "invalid file type")
    if len(part.data) > getattr(state.settings, limit_field):
        raise WechatError(errcodes.INVALID_IMAGE_SIZE, "invalid image size")
    return part.data, _CONTENT_TYPES[found]


@router.post("/cgi-bin/media/uploadimg", summary="上传图文消息内的图片")
async def upload_image(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """A picture for article content (jpg/png, at most 1 MB): only its URL is returned."""
    data, content_type = await _picture(request, state, "content_image")
    media = state.add_media(account, "content_image", data=data, content_type=content_type)
    media.url = public_url_for(request, state, "media_file", media_id=media.media_id)
    # WeChat answers just the URL here, without errcode.
    return {"url": media.url}


@router.post("/cgi-bin/material/add_material", summary="新增永久素材（图片、缩略图）")
async def add_material(
    request: Request,
    state: StateDep,
    account: CallerDep,
    type: Annotated[str | None, Query()] = None,  # WeChat's parameter name
) -> dict[str, Any]:
    """Permanent material: `type=image` (bmp/png/jpeg/gif, 10 MB) or `type=thumb` (jpg, 64 KB)."""
    if type not in ("image", "thumb"):
        # voice and video exist on WeChat; the sandbox keeps pictures only.
        raise WechatError(errcodes.INVALID_MEDIA_TYPE, "invalid media type")
    data, content_type = await _picture(request, state, type)
    media = state.add_media(account, type, data=data, content_type=content_type)
    media.url = public_url_for(request, state, "media_file", media_id=media.media_id)
    return {"media_id": media.media_id, "url": media.url}


@router.post("/cgi-bin/media/uploadnews", summary="上传图文消息素材（用于群发）")
async def upload_news(request: Request, state: StateDep, account: CallerDep) -> dict[str, Any]:
    """Articles for a mass send; the media_id returned is valid for 3 days."""
    data = await json_body(request)
    articles = data.get("articles")
    if not isinstance(articles, list) or not articles:
        raise WechatError(errcodes.EMPTY_NEWS, "empty news data")
    if len(articles) > state.settings.news_max_articles:
        raise WechatError(errcodes.ARTICLE_COUNT_LIMIT, "article size out of limit")
    stored = [_article(state, account, article) for article in articles]
    now = state.clock.now()
    media = state.add_media(
        account,
        "news",
        articles=stored,
        expires_at=now + state.settings.news_media_ttl_seconds,
    )
    return {"type": "news", "media_id": media.media_id, "created_at": int(now)}


def _article(state: SandboxState, account: Account, article: Any) -> dict[str, Any]:
    settings = state.settings
    if not isinstance(article, dict):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: articles")
    fields = {
        key: article.get(key, "")
        for key in ("thumb_media_id", "title", "content", "digest", "author", "content_source_url")
    }
    if not all(isinstance(value, str) for value in fields.values()):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: articles")
    thumb = state.media_of(account, fields["thumb_media_id"], "image", "thumb")
    if thumb is None:
        raise WechatError(errcodes.INVALID_MEDIA_ID, "invalid media_id")
    if not fields["title"].strip() or not fields["content"].strip():
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: title and content")
    limits = [
        ("title", settings.news_title_max_chars, errcodes.TITLE_SIZE_LIMIT),
        ("author", settings.news_author_max_chars, errcodes.AUTHOR_SIZE_LIMIT),
        ("digest", settings.news_digest_max_chars, errcodes.DIGEST_SIZE_LIMIT),
        ("content", settings.news_content_max_chars, errcodes.CONTENT_SIZE_LIMIT),
    ]
    for key, limit, errcode in limits:
        if len(fields[key]) > limit:
            raise WechatError(errcode, f"{key} size out of limit")
    show_cover = article.get("show_cover_pic", 0)
    if show_cover not in (0, 1, "0", "1"):
        raise WechatError(errcodes.DATA_FORMAT_ERROR, "data format error: show_cover_pic")
    return {
        **fields,
        "digest": fields["digest"] or plain_text(fields["content"])[:_DIGEST_FROM_CONTENT_CHARS],
        "show_cover_pic": int(show_cover),
        "thumb_url": thumb.url,
    }


def plain_text(content: str) -> str:
    """The text of article HTML, tags dropped and whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", content))).strip()


# -- the sandbox's own URLs ---------------------------------------------------------------------


@router.get(
    "/sandbox/media/{media_id}",
    name="media_file",
    tags=["模拟平台（测试与演示）"],
    summary="上传的图片",
)
async def media_file(media_id: str, state: SandboxDep) -> Response:
    """A picture an account uploaded (what the platform's picture URL points to)."""
    media = state.media.get(media_id)
    if media is None or not media.data:
        raise NotFound("没有这个素材。")
    return Response(
        media.data,
        media_type=media.content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=86400"},
    )


# The account's article HTML is shown as it is, but it can neither run script nor load anything
# but pictures (WeChat itself strips scripts from articles).
_ARTICLE_CSP = (
    "default-src 'none'; img-src 'self' http: https: data:; style-src 'unsafe-inline'; "
    "sandbox; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_ARTICLE_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font:16px/1.7 system-ui,sans-serif;max-width:640px;margin:0 auto;padding:16px}}
h1{{font-size:22px;line-height:1.4}} .meta{{color:#888;font-size:14px}}
img{{max-width:100%}}</style>
</head><body><article><h1>{title}</h1><p class="meta">{author}{account} {date}</p>
<div class="content">{content}</div>{source}</article></body></html>
"""


@router.get(
    "/sandbox/mass-sends/{msg_id}/articles/{index}",
    response_class=HTMLResponse,
    tags=["模拟平台（测试与演示）"],
    summary="群发图文消息的文章页面",
)
async def article_page(msg_id: int, index: int, state: SandboxDep) -> HTMLResponse:
    """An article of a mass-sent news message, as a follower opens it from the chat."""
    sent = next((m for m in state.mass_sends if m.msg_id == msg_id), None)
    articles = (sent.content.get("articles") if sent is not None else None) or []
    if not 0 <= index < len(articles):
        raise NotFound("没有这篇文章。")
    article = articles[index]
    account = state.accounts.get(sent.account) if sent is not None else None
    source = article.get("content_source_url") or ""
    page = _ARTICLE_PAGE.format(
        title=html.escape(article["title"]),
        author=html.escape(article["author"] + " ") if article.get("author") else "",
        account=html.escape(account.name if account else ""),
        date=html.escape(state.clock.local(sent.at).date().isoformat() if sent else ""),
        content=article["content"],
        source=(
            f'<p><a href="{html.escape(source)}" rel="noopener noreferrer">阅读原文</a></p>'
            if source.startswith(("http://", "https://"))
            else ""
        ),
    )
    return HTMLResponse(
        page, headers={"Content-Security-Policy": _ARTICLE_CSP, "X-Content-Type-Options": "nosniff"}
    )
