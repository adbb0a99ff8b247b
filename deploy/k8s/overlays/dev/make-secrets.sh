#!/usr/bin/env bash
# Writes the dev overlay's untracked secrets/: a random INTERNAL_TOKEN_SECRET and a development
# WeChat Pay key set (the merchant's and the platform's halves, shared by traffic and the sandbox).
# Keeps what exists. PYTHON is a Python with the workspace installed (default: the repo's venv).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$here/../../../../.venv/bin/python}
mkdir -p "$here/secrets"
if [ ! -f "$here/secrets/shared.env" ]; then
  secret=$("$python" -c 'import secrets; print(secrets.token_urlsafe(32))')
  (umask 077 && echo "INTERNAL_TOKEN_SECRET=$secret" >"$here/secrets/shared.env")
fi
"$python" -m wechat.pay_dev "$here/secrets/wechatpay"
