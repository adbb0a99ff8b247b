"""The addresses the sandbox hands out for browsers (pictures, article pages).

WeChat's are public (mmbiz.qpic.cn, mp.weixin.qq.com). The sandbox's are under
`SANDBOX_PUBLIC_BASE_URL` when set, else the address the request came to: under compose the
services call it at sandbox:8009, which no browser on the host can open.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from sandbox.state import SandboxState


def public_url_for(request: Request, state: SandboxState, name: str, **params: Any) -> str:
    """The URL of route `name` as a browser reaches the sandbox."""
    url = request.url_for(name, **params)
    base = state.settings.public_base_url
    return f"{base.rstrip('/')}{url.path}" if base else str(url)
