"""WeChat's custom-menu limits (`/cgi-bin/menu/create`), one table for the registry that checks
menus, the gateway that publishes them and the sandbox that plays the platform.

From `reference/wechat-official-accounts.md`: 1-3 top-level buttons, 1-5 sub-buttons under a
top-level button that has them, names of at most 16 (top) / 60 (sub) bytes of UTF-8, keys of at
most 128 bytes, urls of at most 1024 bytes.
"""

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024

# The fields each leaf button type carries besides `type` and `name`.
FIELDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "click": ("key",),
    "view": ("url",),
    "miniprogram": ("url", "appid", "pagepath"),
    "scancode_push": ("key",),
    "scancode_waitmsg": ("key",),
    "pic_sysphoto": ("key",),
    "pic_photo_or_album": ("key",),
    "pic_weixin": ("key",),
    "location_select": ("key",),
    "media_id": ("media_id",),
    "view_limited": ("media_id",),
    "article_id": ("article_id",),
    "article_view_limited": ("article_id",),
}
BUTTON_TYPES = tuple(FIELDS_BY_TYPE)
ACTION_FIELDS = frozenset(f for fields in FIELDS_BY_TYPE.values() for f in fields)
