"""`/v1/accounts/{code}/editor/articles`: editors write, preview and schedule articles."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from accounts.editing import (
    COVER_MAX_BYTES,
    PREVIEW_CSP,
    ArticleIn,
    ArticleOut,
    account_articles,
    article_cover,
    article_detail,
    create_article,
    preview_page,
    set_cover,
    update_article,
)
from accounts.editors import EDITOR_NOTE, EditorDep, account_editor
from accounts.pushes import PushIn, PushOut, push_state, schedule_push
from accounts.routes.articles import capped_body
from servicekit.clock import NowDep
from servicekit.deps import Id, SessionDep

router = APIRouter(
    prefix="/v1/accounts/{code}/editor/articles",
    tags=["editor"],
    dependencies=[Depends(account_editor)],
)
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@router.get("", summary="编辑的文章列表", description=f"最新的在前，最多 100 篇。{EDITOR_NOTE}")
def list_editor_articles(code: str, session: SessionDep) -> list[ArticleOut]:
    """The account's editor articles, newest first."""
    return account_articles(session=session, code=code)


@router.post("", status_code=201, summary="新建文章（草稿）", description=EDITOR_NOTE)
def post_article(
    code: str, body: ArticleIn, session: SessionDep, actor: EditorDep, now: NowDep
) -> ArticleOut:
    """Write a new article; its body is sanitised to the allowed HTML."""
    return create_article(session=session, code=code, body=body, actor=actor, now=now)


@router.get("/{article_id}", summary="文章详情", description=EDITOR_NOTE)
def get_article(code: str, article_id: Id, session: SessionDep) -> ArticleOut:
    """One article with its push state."""
    return article_detail(session=session, code=code, article_id=article_id)


@router.put(
    "/{article_id}",
    summary="修改文章",
    description=f"安排推送后（或已推送）不能修改，409。{EDITOR_NOTE}",
)
def put_article(
    code: str, article_id: Id, body: ArticleIn, session: SessionDep, actor: EditorDep, now: NowDep
) -> ArticleOut:
    """Replace the article's text."""
    return update_article(
        session=session, code=code, article_id=article_id, body=body, actor=actor, now=now
    )


@router.put(
    "/{article_id}/cover",
    summary="上传封面图片",
    description=(
        f"请求体为图片本身（PNG 或 JPEG，按文件头识别，最大 {COVER_MAX_BYTES // 1024} KB），"
        f"其他格式 415。{EDITOR_NOTE}"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def put_cover(
    code: str,
    article_id: Id,
    session: SessionDep,
    actor: EditorDep,
    now: NowDep,
    upload: Annotated[tuple[str, bytes], Depends(capped_body)],
) -> ArticleOut:
    """Store the article's cover picture."""
    return set_cover(
        session=session, code=code, article_id=article_id, data=upload[1], actor=actor, now=now
    )


@router.get(
    "/{article_id}/cover",
    summary="封面图片",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}},
    description=EDITOR_NOTE,
)
def get_cover(code: str, article_id: Id, session: SessionDep) -> Response:
    """The article's cover picture."""
    data, media_type = article_cover(session=session, code=code, article_id=article_id)
    return Response(data, media_type=media_type, headers=NO_STORE)


@router.get(
    "/{article_id}/preview",
    summary="手机预览",
    response_class=HTMLResponse,
    description=f"文章在手机上的样子（封面、标题、作者、正文、阅读原文）。{EDITOR_NOTE}",
)
def get_preview(code: str, article_id: Id, session: SessionDep) -> HTMLResponse:
    """The article as a mobile HTML page."""
    page = preview_page(session=session, code=code, article_id=article_id)
    return HTMLResponse(page, headers=NO_STORE | {"Content-Security-Policy": PREVIEW_CSP})


@router.post(
    "/{article_id}/push",
    status_code=201,
    summary="安排群发",
    description=(
        "在指定时间（不早于现在，北京时间；为空则立即）群发给全部粉丝或某镇街的粉丝，每篇一次。"
        "订阅号每天 1 次、服务号每月 4 次（按北京时间的日历，已安排与已发送的都计入），"
        "超出 409 并说明原因；已安排 409；没有封面 422。"
        f"{EDITOR_NOTE}"
    ),
)
def post_push(
    code: str, article_id: Id, body: PushIn, session: SessionDep, actor: EditorDep, now: NowDep
) -> PushOut:
    """Schedule the article's one push."""
    return schedule_push(
        session=session, code=code, article_id=article_id, body=body, actor=actor, now=now
    )


@router.get("/{article_id}/push", summary="群发状态", description=EDITOR_NOTE)
def get_push(code: str, article_id: Id, session: SessionDep) -> PushOut:
    """Whether and when the article was pushed."""
    return push_state(session=session, code=code, article_id=article_id)
