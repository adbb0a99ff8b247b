"""Creating, updating and retiring official accounts: field rules and audit-logged writes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from accounts.filters import AccountFilter, account_conditions
from accounts.models import ACCOUNT_KINDS, Account, AccountPublic, AuditEntry
from accounts.public import account_public
from accounts.reference import town_codes
from servicekit.audit import Actor, field_changes
from servicekit.clock import utcnow
from servicekit.deps import MAX_ID, Page, PageParams, paginate
from servicekit.errors import Conflict, NotFound, ValidationFailed

CODE = re.compile(r"[a-z0-9_]{2,32}")
APPID = re.compile(r"wx[0-9a-f]{16}")
# WeChat ids: 6-20 letters, digits, "-" or "_", starting with a letter.
WECHAT_ID = re.compile(r"[A-Za-z][-_A-Za-z0-9]{5,19}")
CATEGORY = re.compile(r"[a-z][a-z0-9_]{1,31}")
REQUIRED = ("name", "category")
MAX_LENGTHS = {"name": 64, "verified_entity": 64, "agency": 64, "description": 500}
ENTITY = "account"


def account_errors(*, values: dict[str, Any]) -> list[dict[str, str]]:
    """Per-field problems of the account fields in `values`; only the fields present are checked."""
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for field, value in values.items():
        if value is None:
            if field in (*REQUIRED, "description", "code"):
                bad(field, "不能为空")
            continue
        if field in REQUIRED and not str(value).strip():
            bad(field, "不能为空")
        elif field in MAX_LENGTHS and len(value) > MAX_LENGTHS[field]:
            bad(field, f"不能超过 {MAX_LENGTHS[field]} 个字符")
        elif field == "code" and not CODE.fullmatch(value):
            bad(field, "账号代码须为 2-32 位小写字母、数字或下划线")
        elif field == "kind" and value not in ACCOUNT_KINDS:
            bad(field, "类型须为 subscription（订阅号）或 service（服务号）")
        elif field == "appid" and not APPID.fullmatch(value):
            bad(field, "AppID 须为 wx 加 16 位小写十六进制字符")
        elif field == "wechat_id" and not WECHAT_ID.fullmatch(value):
            bad(field, "微信号须为 6-20 位字母、数字、-或_，以字母开头")
        elif field == "category" and not CATEGORY.fullmatch(value):
            bad(field, "领域须为 2-32 位小写字母、数字或下划线，以字母开头")
        elif field == "town" and value not in town_codes():
            bad(field, "镇街代码须为东莞 33 个镇街（园区）之一，如 dalang")
        elif field == "followers" and value < 0:
            bad(field, "粉丝数不能为负数")
        elif field == "followers" and value > MAX_ID:
            bad(field, f"粉丝数不能超过 {MAX_ID}")
    return errors


def check_account_fields(*, values: dict[str, Any]) -> None:
    """Raise a 422 naming every invalid field of `values`."""
    errors = account_errors(values=values)
    if errors:
        names = "、".join(e["field"] for e in errors)
        raise ValidationFailed(f"公众号信息无效：{names}", errors=errors)


def get_account(*, session: Session, code: str, for_update: bool = False) -> Account:
    """The account `code`, locked for the rest of the transaction when `for_update`; else 404."""
    query = select(Account).where(Account.code == code)
    if for_update:
        # Serialises concurrent writes to one account so each audit entry's "old" is true.
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        raise NotFound(f"未找到公众号“{code}”，请使用 /v1/accounts 中的账号代码，如 dgjj。")
    return row


def account_detail(*, session: Session, code: str) -> AccountPublic:
    """One account by its code, retired ones included; 404 if unknown."""
    return account_public(get_account(session=session, code=code))


def account_page(
    *, session: Session, page: PageParams, filters: AccountFilter
) -> Page[AccountPublic]:
    """One page of the accounts matching `filters` (see `account_conditions`), by code."""
    query = select(Account).where(*account_conditions(filters))
    return paginate(session, query, page, order_by=Account.code, public=AccountPublic)


def _commit(session: Session, conflict: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(conflict) from exc


def create_account(*, session: Session, values: dict[str, Any], actor: Actor) -> AccountPublic:
    """Register a new active account; 409 when its code is taken."""
    check_account_fields(values=values)
    code = values["code"]
    taken = f"账号代码“{code}”已存在。"
    if session.get(Account, code) is not None:
        raise Conflict(taken)
    account = Account(**values, status="active")
    session.add(account)
    created = {k: v for k, v in values.items() if v is not None} | {"status": "active"}
    _audit(session, account, actor, "create", field_changes(old={}, new=created))
    _commit(session, taken)
    session.refresh(account)
    return account_public(account)


def _audit(
    session: Session, account: Account, actor: Actor, action: str, changes: dict[str, Any]
) -> None:
    """Stamp `account` as written now and add the audit entry of `action` (committed with it)."""
    account.updated_at = utcnow()
    code = account.code
    AuditEntry.record(
        session=session, actor=actor, action=action, entity=ENTITY, entity_id=code, changes=changes
    )


def update_account(
    *, session: Session, code: str, values: dict[str, Any], actor: Actor
) -> AccountPublic:
    """Change the given fields of an account; a write that changes nothing is not recorded."""
    check_account_fields(values=values)
    account = get_account(session=session, code=code, for_update=True)
    changes = field_changes(old=account.model_dump(), new=values)
    if not changes:
        return account_public(account)
    account.sqlmodel_update(values)
    _audit(session, account, actor, "update", changes)
    session.commit()
    session.refresh(account)
    return account_public(account)


def retire_account(*, session: Session, code: str, actor: Actor) -> AccountPublic:
    """Retire an active account (it leaves the public list but keeps its detail page)."""
    account = get_account(session=session, code=code, for_update=True)
    if account.status == "retired":
        raise Conflict(f"公众号“{code}”已停用。")
    changes = field_changes(old={"status": account.status}, new={"status": "retired"})
    account.status = "retired"
    _audit(session, account, actor, "retire", changes)
    session.commit()
    session.refresh(account)
    return account_public(account)
