"""Development-only credentials of the six chat accounts (DESIGN §4, `GATEWAY_WECHAT_ACCOUNTS`).

The gateway answers for these accounts and the sandbox plays WeChat for them, so both read this
one list when ENV=dev and GATEWAY_WECHAT_ACCOUNTS is unset. Never used outside development.
"""

DEV_CHAT_ACCOUNTS = ("dgjj", "dgtq", "dgsb", "gxhk", "lxdl", "dgtj")
# The key of Tencent's own sample (reference vector A): public, so never a secret anywhere.
DEV_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# Development runs all three modes, so the chat page goes through the crypto as in production.
DEV_MODES = {"dgsb": "safe", "dgjj": "compatible"}

DEV_WECHAT_ACCOUNTS: tuple[dict[str, str], ...] = tuple(
    {
        "code": code,
        "appid": f"wxdev0000000{code}",
        "token": f"dev-token-{code}",
        "encoding_aes_key": DEV_ENCODING_AES_KEY,
        "app_secret": f"dev-secret-{code}",
        "mode": DEV_MODES.get(code, "plain"),
    }
    for code in DEV_CHAT_ACCOUNTS
)
