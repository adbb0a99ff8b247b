"""WeChat's global return codes and the JSON error envelope of the platform APIs.

WeChat answers every API call with HTTP 200 and `{"errcode": N, "errmsg": "..."}`; only the
sandbox's own `/sandbox/...` endpoints use problem+json (DESIGN §5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

INVALID_CREDENTIAL = 40001
INVALID_GRANT_TYPE = 40002
INVALID_OPENID = 40003
INVALID_MEDIA_TYPE = 40004
INVALID_FILE_TYPE = 40005
INVALID_MEDIA_ID = 40007
INVALID_MESSAGE_TYPE = 40008
INVALID_IMAGE_SIZE = 40009
INVALID_APPID = 40013
INVALID_ACCESS_TOKEN = 40014
INVALID_BUTTON_COUNT = 40016
INVALID_BUTTON_TYPE = 40017
INVALID_BUTTON_NAME = 40018
INVALID_BUTTON_KEY = 40019
INVALID_BUTTON_URL = 40020
INVALID_SUB_MENU_LEVEL = 40022
INVALID_SUB_BUTTON_COUNT = 40023
INVALID_SUB_BUTTON_TYPE = 40024
INVALID_SUB_BUTTON_NAME = 40025
INVALID_SUB_BUTTON_KEY = 40026
INVALID_SUB_BUTTON_URL = 40027
INVALID_OAUTH_CODE = 40029
INVALID_TEMPLATE_ID = 40037
INVALID_OPENID_LIST = 40032
INVALID_TAG_ID = 40050
INVALID_APPSECRET = 40125
MISSING_ACCESS_TOKEN = 41001
MISSING_APPID = 41002
MISSING_SECRET = 41004
MISSING_MEDIA = 41005
MISSING_OAUTH_CODE = 41008
ACCESS_TOKEN_EXPIRED = 42001
OAUTH_CODE_EXPIRED = 42003
REQUIRE_SUBSCRIBE = 43004
EMPTY_POST_DATA = 44002
EMPTY_NEWS = 44003
CONTENT_SIZE_LIMIT = 45002
TITLE_SIZE_LIMIT = 45003
DIGEST_SIZE_LIMIT = 45004
ARTICLE_COUNT_LIMIT = 45008
QUOTA_EXCEEDED = 45009
REPLY_WINDOW_PASSED = 45015
CUSTOM_SEND_COUNT_EXCEEDED = 45047
CLIENTMSGID_EXISTS = 45065
TAG_COUNT_LIMIT = 45056
USER_TAG_COUNT_LIMIT = 45059
TAG_NAME_EXISTS = 45157
TAG_NAME_TOO_LONG = 45158
INVALID_TAG = 45159
AUTHOR_SIZE_LIMIT = 45110
MENU_NOT_FOUND = 46003
DATA_FORMAT_ERROR = 47001
API_UNAUTHORIZED = 48001


class WechatError(Exception):
    """A platform API refusal, rendered as WeChat's `{"errcode", "errmsg"}` (plus `extra`)."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra


def ok(**fields: Any) -> dict[str, Any]:
    """A successful platform answer: `{"errcode": 0, "errmsg": "ok", **fields}`."""
    return {"errcode": 0, "errmsg": "ok", **fields}


def install_wechat_errors(app: FastAPI, on_error: Callable[[int], None]) -> None:
    """Render `WechatError` as WeChat does (HTTP 200) and report each errcode to `on_error`."""

    @app.exception_handler(WechatError)
    async def _wechat_error(_: Request, exc: WechatError) -> JSONResponse:
        on_error(exc.errcode)
        return JSONResponse({"errcode": exc.errcode, "errmsg": exc.errmsg, **exc.extra})
