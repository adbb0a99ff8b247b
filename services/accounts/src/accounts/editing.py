"""Articles editors write for an account: text, limited HTML body, cover picture, preview.

The body is sanitised on the way in (`article_html`), so what is stored, previewed and pushed is
the same allowlisted HTML. The cover is a PNG or JPEG checked by its first bytes (never by the
declared type) and kept in the database with the article. An article whose push is scheduled or
sent no longer changes: what was previewed is what followers receive.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select

from accounts.article_html import plain_text, safe_url, sanitize_html
from accounts.articles import UnsupportedMediaType
from accounts.models import ArticlePush, AuditEntry, EditorArticle
from accounts.registry import get_account
from servicekit.audit import Actor, AuditedWrite, field_changes
from servicekit.clock import local as local_time
from servicekit.errors import Conflict, NotFound, ValidationFailed

# WeChat's limits on an article of a mass send (media/uploadnews).
TITLE_MAX = 64
AUTHOR_MAX = 8
DIGEST_MAX = 120
BODY_MAX = 20000
# What an editor may send before sanitising (the allowlist usually makes it much shorter).
BODY_INPUT_MAX = 100_000
# The gateway sends the cover as permanent material and takes at most 1 MB of picture.
COVER_MAX_BYTES = 1024 * 1024
COVER_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
BODY_NOTE = (
    "正文 HTML：只保留 p、br、strong、em、img、a、h2、h3、ul、ol、li、blockquote，"
    "链接与图片须为 http(s) 地址；脚本、事件属性与 javascript: 链接一律删除"
)
# The pushes that hold an article fixed (a failed one may be scheduled again after editing).
ACTIVE_PUSH = ("scheduled", "sent")


class ArticleText(BaseModel):
    """The text of an article: title, author, digest, body (limited HTML) and source URL."""

    title: str = Field(min_length=1, max_length=TITLE_MAX, description="标题，最多 64 字")
    author: str = Field(default="", max_length=AUTHOR_MAX, description="作者，最多 8 字")
    digest: str = Field(
        default="", max_length=DIGEST_MAX, description="摘要，最多 120 字；为空时取正文开头"
    )
    body_html: str = Field(description=BODY_NOTE)
    source_url: str | None = Field(
        default=None, max_length=1024, description="阅读原文链接，http:// 或 https://"
    )


class ArticleIn(ArticleText):
    """What an editor writes; the body is sanitised here, before anything else sees it."""

    body_html: str = Field(min_length=1, max_length=BODY_INPUT_MAX, description=BODY_NOTE)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("标题不能为空")
        return value.strip()

    @field_validator("body_html")
    @classmethod
    def _body(cls, value: str) -> str:
        cleaned = sanitize_html(value)
        if not plain_text(cleaned) and "<img" not in cleaned:
            raise ValueError("正文去除不允许的内容后为空")
        if len(cleaned) > BODY_MAX:
            raise ValueError(f"正文不能超过 {BODY_MAX} 个字符")
        return cleaned

    @field_validator("source_url")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = safe_url(value)
        if url is None:
            raise ValueError("应为 http:// 或 https:// 开头的链接")
        return url


class ArticleOut(ArticleText):
    """An editor's article (its digest filled in from the body when empty) and its push state."""

    id: int
    account_code: str
    has_cover: bool = Field(description="是否已上传封面")
    created_by: str = Field(description="撰写的工作人员")
    created_at: datetime = Field(description="北京时间")
    updated_at: datetime = Field(description="北京时间")
    push_status: str | None = Field(description="scheduled | sent | failed；未安排时为空")

    @field_validator("created_at", "updated_at")
    @classmethod
    def _beijing_time(cls, value: datetime) -> datetime:
        return local_time(value)


def card_digest(article: EditorArticle) -> str:
    """The digest on the news card: the editor's, else the start of the body."""
    if article.digest:
        return article.digest
    text = plain_text(article.body_html)
    return text if len(text) <= DIGEST_MAX else text[: DIGEST_MAX - 1] + "…"


def _out(article: EditorArticle, push: ArticlePush | None) -> ArticleOut:
    # getattr, not model_dump: it loads the attributes a commit expired.
    stored = set(ArticleOut.model_fields) & set(EditorArticle.model_fields) - {"digest"}
    return ArticleOut(
        **{name: getattr(article, name) for name in stored},
        digest=card_digest(article),
        has_cover=article.cover is not None,
        push_status=push.status if push is not None else None,
    )


def audit_article(
    session: Session, *, actor: Actor, action: str, article_id: int | None, changes: dict[str, Any]
) -> None:
    """Add the audit entry of a write to an editor's article (committed with the write)."""
    write = AuditedWrite(
        action=action, entity="editor_article", entity_id=str(article_id), changes=changes
    )
    AuditEntry.record(session=session, actor=actor, **write)


def push_of(session: Session, *, article_id: int) -> ArticlePush | None:
    """The push of an article, if one was scheduled."""
    return session.exec(select(ArticlePush).where(ArticlePush.article_id == article_id)).first()


def require_article(session: Session, *, code: str, article_id: int) -> EditorArticle:
    """The account's article `article_id`; 404 for an unknown account or another's article."""
    get_account(session=session, code=code)
    article = session.get(EditorArticle, article_id)
    if article is None or article.account_code != code:
        raise NotFound(f"公众号 {code} 没有编号为 {article_id} 的文章。")
    return article


def _require_editable(session: Session, article: EditorArticle) -> None:
    push = push_of(session, article_id=article.id or 0)
    if push is not None and push.status in ACTIVE_PUSH:
        raise Conflict("这篇文章已安排或已推送，不能再修改。")


def create_article(
    *, session: Session, code: str, body: ArticleIn, actor: Actor, now: datetime
) -> ArticleOut:
    """Store a new article of account `code` (body sanitised), audit it, commit."""
    get_account(session=session, code=code)
    article = EditorArticle(
        account_code=code,
        created_by=actor.subject,
        created_at=now,
        updated_at=now,
        **body.model_dump(),
    )
    session.add(article)
    session.flush()
    audit_article(
        session,
        actor=actor,
        action="create",
        article_id=article.id,
        changes={"title": [None, body.title]},
    )
    session.commit()
    return _out(article, None)


def update_article(
    *, session: Session, code: str, article_id: int, body: ArticleIn, actor: Actor, now: datetime
) -> ArticleOut:
    """Replace the text of an article not yet scheduled; audit the fields that changed."""
    article = require_article(session, code=code, article_id=article_id)
    _require_editable(session, article)
    new = body.model_dump()
    changes = field_changes(old=article.model_dump(include=set(new)), new=new)
    for name, value in new.items():
        setattr(article, name, value)
    article.updated_at = now
    session.add(article)
    # The body is too long for an audit entry: that it changed is enough.
    if "body_html" in changes:
        changes["body_html"] = ["…", "…"]
    audit_article(session, actor=actor, action="update", article_id=article_id, changes=changes)
    session.commit()
    return _out(article, push_of(session, article_id=article_id))


def article_detail(*, session: Session, code: str, article_id: int) -> ArticleOut:
    """One article of the account with its push state."""
    article = require_article(session, code=code, article_id=article_id)
    return _out(article, push_of(session, article_id=article_id))


def account_articles(*, session: Session, code: str) -> list[ArticleOut]:
    """The account's editor articles, newest first (at most the latest 100)."""
    get_account(session=session, code=code)
    query = (
        select(EditorArticle)
        .where(EditorArticle.account_code == code)
        .order_by(col(EditorArticle.id).desc())
        .limit(100)
    )
    return [_out(a, push_of(session, article_id=a.id or 0)) for a in session.exec(query).all()]


def cover_type(data: bytes) -> str:
    """The media type of a cover by its first bytes; ValueError (Chinese) when it is not one."""
    if not data:
        raise ValueError("封面图片为空。")
    if len(data) > COVER_MAX_BYTES:
        raise ValueError(f"封面图片不能超过 {COVER_MAX_BYTES // 1024} KB。")
    for magic, media_type in COVER_TYPES.items():
        if data.startswith(magic):
            return media_type
    raise ValueError("封面图片应为 PNG 或 JPEG 格式。")


def set_cover(
    *, session: Session, code: str, article_id: int, data: bytes, actor: Actor, now: datetime
) -> ArticleOut:
    """Store the article's cover (PNG or JPEG by its bytes, at most 1 MB); audit it."""
    article = require_article(session, code=code, article_id=article_id)
    _require_editable(session, article)
    try:
        media_type = cover_type(data)
    except ValueError as exc:
        raise UnsupportedMediaType(str(exc)) from None
    article.cover, article.cover_type, article.updated_at = data, media_type, now
    session.add(article)
    cover = {"cover": [None, f"{media_type} {len(data)}"]}
    audit_article(session, actor=actor, action="set_cover", article_id=article_id, changes=cover)
    session.commit()
    return _out(article, push_of(session, article_id=article_id))


def article_cover(*, session: Session, code: str, article_id: int) -> tuple[bytes, str]:
    """The article's cover picture and its media type; 404 when it has none."""
    article = require_article(session, code=code, article_id=article_id)
    if article.cover is None or article.cover_type is None:
        raise NotFound("这篇文章还没有封面图片。")
    return article.cover, article.cover_type


def require_pushable(article: EditorArticle) -> tuple[bytes, str]:
    """The cover of an article about to be scheduled; 422 without one (WeChat needs it)."""
    if article.cover is None or article.cover_type is None:
        raise ValidationFailed(
            "推送前请先上传封面图片。",
            errors=[{"field": "cover", "in": "body", "message": "缺少封面", "type": "missing"}],
        )
    return article.cover, article.cover_type


# The preview may show the stored HTML, but can run nothing and load only pictures.
PREVIEW_CSP = (
    "default-src 'none'; img-src data: http: https:; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_STYLE = (
    'body{font:16px/1.75 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#333;'
    "max-width:640px;margin:0 auto;padding:16px}h1{font-size:22px;line-height:1.4}"
    ".meta{color:#888;font-size:14px}img{max-width:100%;height:auto}"
    "blockquote{border-left:3px solid #ddd;margin:0;padding-left:12px;color:#666}"
    ".banner{background:#fff7e6;padding:8px;font-size:13px}"
)


def _page_head(title: str) -> str:
    """The page up to the article: a phone's viewport, the style, the preview's banner."""
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>"
        '<p class="banner">预览：群发前仅工作人员可见</p><article>'
    )


def preview_page(*, session: Session, code: str, article_id: int) -> str:
    """The article as a mobile HTML page, as a follower would read it (cover inline)."""
    article = require_article(session, code=code, article_id=article_id)
    account = get_account(session=session, code=code)
    title = html.escape(article.title)
    parts = [_page_head(title)]
    if article.cover is not None and article.cover_type is not None:
        data = base64.b64encode(article.cover).decode("ascii")
        parts.append(f'<p><img src="data:{article.cover_type};base64,{data}" alt="封面"></p>')
    meta = " ".join(filter(None, (article.author, account.name)))
    parts += [f"<h1>{title}</h1>", f'<p class="meta">{html.escape(meta)}</p>']
    parts.append(f'<div class="content">{article.body_html}</div>')
    if article.source_url:
        href = html.escape(article.source_url, quote=True)
        parts.append(f'<p><a href="{href}" rel="noopener noreferrer">阅读原文</a></p>')
    return "".join([*parts, "</article></body></html>\n"])
