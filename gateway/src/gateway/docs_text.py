"""What the gateway's `/docs` says of itself: its description and its own routes' tags.

In development the description tells a reader how to get credentials for Swagger UI's Authorize
button: a citizen's bearer token from the sandbox's WeChat sign-in, the development staff keys.
"""

from __future__ import annotations

from typing import Any

from gateway.settings import GatewaySettings
from servicekit.settings import DEV_EDITOR_KEY, DEV_STAFF_KEY

DESCRIPTION = "东莞政务微信公众号服务的统一入口。"
# The account a development sign-in goes through: 东莞交警, whose openid pays fines.
DEV_SIGNIN_ACCOUNT = "dgjj"
TAGS: list[dict[str, Any]] = [
    {"name": "登录", "description": "微信网页授权登录、退出登录"},
    {
        "name": "我的数据",
        "description": "本人首页概览（各服务并行读取，单项失败不影响其他）与本人全部数据导出",
    },
    {"name": "wechat", "description": "微信服务器回调（由微信平台调用）"},
]


def dev_signin_note(account: str = DEV_SIGNIN_ACCOUNT) -> str:
    """How to authorise Swagger UI in development (Markdown)."""
    return (
        "**开发环境：获取凭证。** 市民令牌：打开 "
        f"[/api/v1/auth/wechat/authorize?account={account}]"
        f"(/api/v1/auth/wechat/authorize?account={account})，"
        "在沙箱的授权页选择演示市民（张三、李四、王五、陈晓梅），返回的 JSON 中 `access_token` "
        "即令牌（2 小时有效），点 Authorize 填入 `citizenBearer`；换 `account=` 可经其他公众号登录"
        f"（缴罚款需经 {account}）。工作人员：`staffApiKey` 填 `{DEV_STAFF_KEY}`（全部角色）或 "
        f"`{DEV_EDITOR_KEY}`（编辑 gxhk、lxdl）。"
    )


def description(settings: GatewaySettings) -> str:
    """The gateway document's description: with the development sign-in note when ENV=dev."""
    if settings.shared.env != "dev":
        return DESCRIPTION
    return f"{DESCRIPTION}\n\n{dev_signin_note()}"
