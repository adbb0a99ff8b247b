"""WeChat Pay v3 refusals: `{"code": "...", "message": "..."}` (plus `detail`) with the HTTP
status WeChat uses for the code."""

from __future__ import annotations

from typing import Any

PARAM_ERROR = "PARAM_ERROR"
INVALID_REQUEST = "INVALID_REQUEST"
SIGN_ERROR = "SIGN_ERROR"
MCH_NOT_EXISTS = "MCH_NOT_EXISTS"
APPID_MCHID_NOT_MATCH = "APPID_MCHID_NOT_MATCH"
ORDER_NOT_EXIST = "ORDER_NOT_EXIST"
RESOURCE_NOT_EXISTS = "RESOURCE_NOT_EXISTS"
ORDER_CLOSED = "ORDER_CLOSED"
ORDERPAID = "ORDERPAID"
NO_STATEMENT_EXIST = "NO_STATEMENT_EXIST"
NOT_FOUND = "NOT_FOUND"
SYSTEM_ERROR = "SYSTEM_ERROR"


class PayError(Exception):
    """A refusal of the WeChat Pay API."""

    def __init__(self, status: int, code: str, message: str, **detail: Any) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        """The JSON WeChat answers."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body


def param_error(message: str, field: str | None = None, value: Any = None) -> PayError:
    """400 PARAM_ERROR, with WeChat's `detail` ({field, value, issue, location}) for a field."""
    if field is None:
        return PayError(400, PARAM_ERROR, message)
    detail: dict[str, Any] = {"field": field, "issue": message, "location": "body"}
    if value is not None:
        detail["value"] = value
    return PayError(400, PARAM_ERROR, message, **detail)


def sign_error(message: str = "错误的签名，验签失败") -> PayError:
    """401 SIGN_ERROR."""
    return PayError(401, SIGN_ERROR, message)
