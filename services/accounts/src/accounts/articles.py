"""Articles of an account: parsing a statistics export (CSV or JSON) and importing it.

Parsing is pure: bytes in, validated records or a list of per-row errors out. An import upserts
by (account, url) and records the figures it brought as an ArticleSnapshot, so the history of
each article's statistics survives while Article keeps the latest totals.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from accounts.clock import local
from accounts.models import Article, ArticleSnapshot, AuditEntry
from accounts.registry import get_account
from accounts.statistics import Likes, Reads, Shares, Wows, day_start
from servicekit.audit import Actor
from servicekit.clock import SHANGHAI, utcnow
from servicekit.deps import Page, PageParams, paginate
from servicekit.errors import Problem, ValidationFailed

COLUMNS = ("published_at", "title", "url", "is_headline", "reads", "likes", "wows", "shares")
REQUIRED = ("published_at", "title", "url")
COUNTS = ("reads", "likes", "wows", "shares")
HUNDRED_THOUSAND_PLUS = 100001  # "10万+": WeChat shows no exact figure above 100000
MAX_ROWS = 5000
MAX_ERRORS = 50  # enough to fix a file by; more would only bury the first ones
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "头条"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "否"})
EXTRA_CELLS = "__extra__"  # where csv.DictReader puts cells beyond the header's columns
_COUNT = re.compile(r"^\d+$")
_TEN_THOUSANDS = re.compile(r"^(\d+(?:\.\d+)?)\s*[万wW](\+?)$")


@dataclass(frozen=True)
class ArticleRecord:
    """One validated row of an export; `published_at` is aware UTC."""

    published_at: datetime
    title: str
    url: str
    is_headline: bool
    reads: int
    likes: int
    wows: int
    shares: int


class ImportRejected(Exception):
    """The export has errors; `errors` names row and column of each."""

    def __init__(self, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def parse_count(text: Any) -> int:
    """A non-negative count: 13075, "13,075", "1.2万" (12000) or "10万+" (stored as 100001)."""
    if isinstance(text, bool):
        raise ValueError("应为非负整数")
    if isinstance(text, int):
        if text < 0:
            raise ValueError("不能为负数")
        return text
    if text is None:
        return 0
    cleaned = str(text).strip().replace(",", "").replace("，", "")
    if cleaned == "":
        return 0
    if _COUNT.match(cleaned):
        return int(cleaned)
    match = _TEN_THOUSANDS.match(cleaned)
    if match:
        value = round(float(match.group(1)) * 10000)
        # "10万+" means more than 100000 without saying how many more.
        return HUNDRED_THOUSAND_PLUS if match.group(2) and value >= 100000 else value
    raise ValueError(f"“{text}”不是有效的数字（应为非负整数，或“10万+”）")


def parse_headline(value: Any) -> bool:
    """Whether an article is the push's headline (头条): 1/0, true/false, 是/否; empty is no."""
    if isinstance(value, bool):
        return value
    word = "" if value is None else str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"“{value}”应为 1/0、true/false 或 是/否")


def parse_published_at(value: Any) -> datetime:
    """An ISO 8601 time ("2014-12-18T16:00:00+08:00"); without an offset it is Beijing time."""
    text = "" if value is None else str(value).strip().replace("/", "-")
    if not text:
        raise ValueError("不能为空")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{value}”不是有效的时间（例：2014-12-18 16:00）") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def _text(value: Any, *, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError("不能为空")
    if len(text) > limit:
        raise ValueError(f"不能超过 {limit} 个字符")
    return text


def _url(value: Any) -> str:
    text = _text(value, limit=1024)
    if not text.startswith(("http://", "https://")):
        raise ValueError("应以 http:// 或 https:// 开头")
    return text


PARSERS = {
    "published_at": parse_published_at,
    "title": lambda v: _text(v, limit=200),
    "url": _url,
    "is_headline": parse_headline,
    **dict.fromkeys(COUNTS, parse_count),
}


def _error(row: int | None, column: str | None, message: str) -> dict[str, Any]:
    if row is None:
        field = column or "body"
    else:
        field = f"rows[{row}]" + (f".{column}" if column else "")
    return {"field": field, "row": row, "column": column, "message": message}


def parse_rows(rows: Iterable[Mapping[str, Any]]) -> list[ArticleRecord]:
    """Validate rows of column -> value; raise ImportRejected naming every bad row and column.

    Rows are numbered from 1 (the first article; in a CSV, the line after the header).
    """
    records: list[ArticleRecord] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        if number > MAX_ROWS:
            raise ImportRejected(
                f"一次最多导入 {MAX_ROWS} 篇文章，请分批导入。",
                [_error(None, None, f"超过 {MAX_ROWS} 行")],
            )
        values: dict[str, Any] = {}
        for column, parse in PARSERS.items():
            try:
                values[column] = parse(row.get(column))
            except ValueError as exc:
                errors.append(_error(number, column, f"第 {number} 行 {column} 列：{exc}"))
        url = values.get("url")
        if url is not None:
            if url in seen:
                errors.append(
                    _error(number, "url", f"第 {number} 行 url 列：与第 {seen[url]} 行重复")
                )
            seen.setdefault(url, number)
        if len(values) == len(PARSERS):
            records.append(ArticleRecord(**values))
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        first = errors[0]["message"]
        more = f"（共 {len(errors)} 处错误）" if len(errors) > 1 else ""
        raise ImportRejected(f"导入数据有误：{first}{more}", errors[:MAX_ERRORS])
    if not records:
        raise ImportRejected("导入数据为空。", [_error(None, None, "没有文章")])
    return records


def parse_csv(data: bytes) -> list[ArticleRecord]:
    """Records of a UTF-8 CSV export (with or without BOM) with a header row of COLUMNS."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected(
            "CSV 文件应为 UTF-8 编码。", [_error(None, None, "不是 UTF-8 编码")]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=EXTRA_CELLS)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"缺少列 {', '.join(missing)}")
        if unknown:
            problems.append(f"无法识别的列 {', '.join(unknown)}")
        message = "；".join(problems) + f"（可用的列：{', '.join(COLUMNS)}）"
        raise ImportRejected(f"CSV 表头有误：{message}", [_error(None, "header", message)])
    reader.fieldnames = header
    rows = list(reader)
    extra = [i for i, row in enumerate(rows, 1) if EXTRA_CELLS in row]
    if extra:
        raise ImportRejected(
            f"CSV 第 {extra[0]} 行的单元格多于表头的列数。",
            [_error(i, None, f"第 {i} 行的单元格多于表头的列数") for i in extra[:MAX_ERRORS]],
        )
    return parse_rows(rows)


def parse_json(data: bytes) -> list[ArticleRecord]:
    """Records of a JSON list of objects with the keys of COLUMNS."""
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportRejected(
            "JSON 格式有误。", [_error(None, None, "不是有效的 UTF-8 JSON")]
        ) from None
    if not isinstance(items, list):
        raise ImportRejected("JSON 应为文章对象的列表。", [_error(None, None, "应为列表")])
    errors = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            errors.append(_error(number, None, f"第 {number} 行应为对象"))
        elif unknown := sorted(set(item) - set(COLUMNS)):
            errors.append(
                _error(number, unknown[0], f"第 {number} 行：无法识别的键 {', '.join(unknown)}")
            )
    if errors:
        raise ImportRejected(f"导入数据有误：{errors[0]['message']}", errors[:MAX_ERRORS])
    return parse_rows(items)


class ImportSummary(BaseModel):
    """What an import changed."""

    created: int = Field(description="新增文章数")
    updated: int = Field(description="按 url 更新的文章数")
    snapshots: int = Field(description="写入的统计快照数")


def _ids_by_url(session: Session, account_code: str, urls: list[str]) -> dict[str, int]:
    """Ids of the account's articles with these urls (in chunks: databases cap parameters)."""
    ids: dict[str, int] = {}
    for chunk in range(0, len(urls), 500):
        query = select(Article.url, Article.id).where(
            Article.account_code == account_code, col(Article.url).in_(urls[chunk : chunk + 500])
        )
        ids.update(dict(session.exec(query).all()))
    return ids


def import_articles(
    *, session: Session, account_code: str, records: list[ArticleRecord], actor: Actor
) -> ImportSummary:
    """Upsert `records` for the account by url, snapshot each, audit the import, commit."""
    existing = _ids_by_url(session, account_code, [r.url for r in records])
    fields = [
        {
            "account_code": account_code,
            "published_at": r.published_at,
            "title": r.title,
            "url": r.url,
            "is_headline": r.is_headline,
            "reads": r.reads,
            "likes": r.likes,
            "wows": r.wows,
            "shares": r.shares,
        }
        for r in records
    ]
    new = [f for f in fields if f["url"] not in existing]
    old = [f | {"id": existing[f["url"]]} for f in fields if f["url"] in existing]
    if new:
        session.execute(insert(Article), new)
    if old:
        session.execute(update(Article), old)
    ids = existing | _ids_by_url(session, account_code, [f["url"] for f in new])
    captured_at = utcnow()
    session.execute(
        insert(ArticleSnapshot),
        [
            {
                "article_id": ids[f["url"]],
                "captured_at": captured_at,
                **{c: f[c] for c in COUNTS},
            }
            for f in fields
        ],
    )
    AuditEntry.record(
        session=session,
        actor=actor,
        action="import_articles",
        entity="articles",
        entity_id=account_code,
        changes={"created": [None, len(new)], "updated": [None, len(old)]},
    )
    session.commit()
    return ImportSummary(created=len(new), updated=len(old), snapshots=len(fields))


class ArticlePublic(BaseModel):
    """An article with its latest statistics."""

    id: int
    account_code: str
    published_at: datetime = Field(description="发布时间（北京时间）")
    title: str
    url: str
    is_headline: bool = Field(description="是否头条")
    reads: Reads
    likes: Likes
    wows: Wows
    shares: Shares

    @field_validator("published_at")
    @classmethod
    def _beijing_time(cls, value: datetime) -> datetime:
        return local(value)


class UnsupportedMediaType(Problem):
    status, title = 415, "Unsupported Media Type"


def import_export(
    *, session: Session, account_code: str, media_type: str, body: bytes, actor: Actor
) -> ImportSummary:
    """Parse a CSV or JSON export by its media type and import it; 404, 415 or 422 otherwise."""
    get_account(session=session, code=account_code)
    try:
        if media_type in ("text/csv", "application/csv"):
            records = parse_csv(body)
        elif media_type == "application/json":
            records = parse_json(body)
        else:
            raise UnsupportedMediaType("请以 text/csv 或 application/json 提交导入数据。")
    except ImportRejected as exc:
        raise ValidationFailed(exc.detail, errors=exc.errors) from None
    return import_articles(session=session, account_code=account_code, records=records, actor=actor)


def articles_page(
    *, session: Session, code: str, page: PageParams, from_: date | None, to: date | None
) -> Page[ArticlePublic]:
    """The account's articles, newest first, optionally within local days from..to."""
    get_account(session=session, code=code)
    if from_ is not None and to is not None and from_ > to:
        raise ValidationFailed(
            "起始日期不能晚于截止日期。",
            errors=[{"field": "from", "in": "query", "message": "晚于 to", "type": "value_error"}],
        )
    query = select(Article).where(Article.account_code == code)
    if from_ is not None:
        query = query.where(Article.published_at >= day_start(from_))
    if to is not None:
        query = query.where(Article.published_at < day_start(to + timedelta(days=1)))
    # Newest first; the id breaks ties between the articles of one push.
    query = query.order_by(col(Article.published_at).desc())
    return paginate(session, query, page, order_by=col(Article.id).desc(), public=ArticlePublic)


def latest_articles(*, session: Session, code: str, limit: int) -> list[Article]:
    """The account's `limit` latest articles, newest first (none for an unknown account)."""
    query = (
        select(Article)
        .where(Article.account_code == code)
        .order_by(col(Article.published_at).desc(), col(Article.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())
