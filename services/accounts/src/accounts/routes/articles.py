"""`/v1/accounts/{code}/articles`: an account's articles, and bulk import of statistics exports."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from accounts.articles import (
    COLUMNS,
    ArticlePublic,
    ImportSummary,
    articles_page,
    import_export,
)
from accounts.staff import RegistryAdminDep
from servicekit.deps import Page, PageDep, SessionDep
from servicekit.errors import Problem

router = APIRouter(prefix="/v1/accounts", tags=["articles"])
MAX_IMPORT_BYTES = 5 * 1024 * 1024
TOO_LARGE = "上传的内容不能超过 5 MB（导入请分批）。"


class PayloadTooLarge(Problem):
    status, title = 413, "Content Too Large"


async def capped_body(request: Request) -> tuple[str, bytes]:
    """The request's media type and body (at most 5 MB), read once (async: the handler itself
    is sync)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(TOO_LARGE)
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(TOO_LARGE)
    return media_type, body


@router.get("/{code}/articles", summary="公众号文章及统计数据")
def list_articles(
    code: str,
    session: SessionDep,
    page: PageDep,
    from_: Annotated[
        date | None, Query(alias="from", description="起始日期（含），YYYY-MM-DD，北京时间")
    ] = None,
    to: Annotated[date | None, Query(description="截止日期（含），YYYY-MM-DD，北京时间")] = None,
) -> Page[ArticlePublic]:
    """The account's articles, newest first, optionally within local days from..to."""
    return articles_page(session=session, code=code, page=page, from_=from_, to=to)


@router.post(
    "/{code}/articles/import",
    summary="批量导入文章统计数据",
    description=(
        "请求体为 CSV（`text/csv`，UTF-8，可带 BOM，首行为表头）"
        "或 JSON 列表（`application/json`）。"
        f"列：{', '.join(COLUMNS)}；published_at、title、url 必填，无时区的时间按北京时间；"
        "reads 可写“10万+”（记为 100001）。按 url 新增或更新，每篇写入一条统计快照。"
        "任何一行有误则整批不导入，422 的 errors 逐条列出行号与列名。"
        "需要 `registry_admin` 角色的工作人员令牌；写入记入审计日志。"
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
def import_account_articles(
    code: str,
    session: SessionDep,
    actor: RegistryAdminDep,
    export: Annotated[tuple[str, bytes], Depends(capped_body)],
) -> ImportSummary:
    """Upsert the articles of a CSV or JSON export for the account, all or nothing."""
    media_type, body = export
    return import_export(
        session=session, account_code=code, media_type=media_type, body=body, actor=actor
    )
