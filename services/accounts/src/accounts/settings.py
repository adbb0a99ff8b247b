"""Accounts settings (env prefix `ACCOUNTS_`)."""

import socket
from datetime import time
from typing import Annotated, ClassVar

from fastapi import Depends
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.deps import settings_dependency
from servicekit.settings import ServiceSettings


class AccountsSettings(ServiceSettings):
    """Settings of the accounts service."""

    model_config = SettingsConfigDict(env_prefix="ACCOUNTS_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "accounts"

    # The People's-Daily-style composite ranking: 传播力, 服务力, 互动力 (weights sum to 1).
    composite_reach_weight: float = Field(default=0.30, ge=0, le=1)
    composite_service_weight: float = Field(default=0.35, ge=0, le=1)
    composite_interaction_weight: float = Field(default=0.35, ge=0, le=1)

    # Services holding bindings, told to delete a citizen's bindings when consent is withdrawn.
    traffic_url: str = "http://127.0.0.1:8002"
    socialsec_url: str = "http://127.0.0.1:8004"
    inspection_url: str = "http://127.0.0.1:8005"
    # The outbox delivery loop: seconds between passes (0 = no loop; run `deliver-outbox` from
    # cron instead), the timeout of one delivery, and the retry backoff base·2^(n-1), capped.
    outbox_interval_seconds: float = Field(default=2.0, ge=0)
    outbox_timeout_seconds: float = Field(default=5.0, gt=0)
    outbox_backoff_base_seconds: float = Field(default=1.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=60.0, gt=0)
    # The name under which this process leases outbox messages (`serve` and `deliver-outbox` add
    # their own suffix). At start a process takes back the leases held under its name, so it must
    # be a name no other process uses at the same time; the host name is one that a container or
    # machine keeps across restarts. Should two share it anyway, a message is sent twice, which the
    # receivers take as once.
    outbox_instance: str = Field(
        default_factory=lambda: socket.gethostname()[:80] or "accounts", min_length=1, max_length=80
    )

    # Article pushes (`accounts.pusher`): the gateway's internal listener (GATEWAY_INTERNAL_PORT,
    # not its public port), seconds between the loop's passes (0 = no loop; run `push-articles`
    # from cron instead), one mass send's timeout, how long a claim holds a push (longer than a
    # send), and the attempts a push gets while the gateway does not answer.
    gateway_url: str = "http://127.0.0.1:8010"
    push_interval_seconds: float = Field(default=5.0, ge=0)
    push_timeout_seconds: float = Field(default=60.0, gt=0)
    push_lease_seconds: float = Field(default=300.0, gt=0)
    push_max_attempts: int = Field(default=5, ge=1, le=100)

    # Daily statistics from the platform's data APIs through the gateway
    # (`accounts.statistics_schedule`): whether the app imports them itself, from what local time
    # (WeChat has the previous day ready by 08:00), how often it looks, one call's timeout, and
    # how long a claim holds a day.
    statistics_import_enabled: bool = False
    statistics_import_at: time = time(8, 0)
    statistics_import_check_seconds: float = Field(default=600.0, gt=0)
    statistics_import_timeout_seconds: float = Field(default=10.0, gt=0)
    statistics_import_lease_seconds: float = Field(default=300.0, gt=0)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> "AccountsSettings":
        total = (
            self.composite_reach_weight
            + self.composite_service_weight
            + self.composite_interaction_weight
        )
        # The composite stays on a 0-100 scale only when the weights add up to 1.
        if abs(total - 1) > 1e-6:
            raise ValueError(f"ACCOUNTS_COMPOSITE_*_WEIGHT must add up to 1, not {total:g}")
        return self


AccountsSettingsDep = Annotated[AccountsSettings, Depends(settings_dependency(AccountsSettings))]
