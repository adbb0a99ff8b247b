"""An official account's credentials as the suite configures them (an item of
`GATEWAY_WECHAT_ACCOUNTS`, DESIGN §4): the gateway answers for these accounts and the sandbox
plays WeChat for them."""

from typing import Literal, Self

from pydantic import BaseModel, ValidationInfo, field_validator, model_validator

from wechat.crypto import InvalidAesKey, aes_key


class WechatAccount(BaseModel):
    """One official account: its code in the suite, WeChat credentials and message mode."""

    code: str
    appid: str
    token: str
    encoding_aes_key: str = ""
    app_secret: str = ""
    mode: Literal["plain", "compatible", "safe"] = "plain"

    @field_validator("encoding_aes_key")
    @classmethod
    def _valid_aes_key(cls, value: str, info: ValidationInfo) -> str:
        # A bad key would only surface at the first encrypted callback; refuse it at start-up.
        if value:
            try:
                aes_key(value)
            except InvalidAesKey as exc:
                raise ValueError(f"account {info.data.get('code')}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _key_for_encrypted_modes(self) -> Self:
        if self.mode != "plain" and not self.encoding_aes_key:
            raise ValueError(f"account {self.code}: mode {self.mode} needs an encoding_aes_key")
        return self
