"""Inspection settings (env prefix `INSPECTION_`)."""

from datetime import time
from typing import Annotated, ClassVar

from fastapi import Depends
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.bindings import BindingThrottleSettings
from servicekit.deps import settings_dependency
from servicekit.settings import ServiceSettings

# The sandbox keeps no template library: any id of WeChat's alphabet is a template there.
DEV_REMINDER_TEMPLATE_ID = "dev-dgtj-inspection-due"


class InspectionSettings(BindingThrottleSettings, ServiceSettings):
    """Settings of the special-equipment inspection service."""

    model_config = SettingsConfigDict(env_prefix="INSPECTION_", env_file=".env", extra="ignore")
    service_name: ClassVar[str] = "inspection"

    # Overdue reminders (inspection.reminders): planned daily from `reminders_at` (Beijing time,
    # looked for every `reminders_check_seconds`) when enabled, sent as template messages of
    # 东莞特检 through POST {gateway_url}/internal/wechat/dgtj/template; failed ones again after
    # base·2^(n-1) seconds (capped), at most `reminder_max_attempts` times. Outside ENV=dev an
    # empty template id keeps reminders unsent (the platform's id of the account's template).
    gateway_url: str = "http://127.0.0.1:8010"
    reminder_template_id: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_-]*$")
    reminders_enabled: bool = False
    reminders_at: time = time(9, 0)
    reminders_check_seconds: float = Field(default=60.0, gt=0)
    reminder_timeout_seconds: float = Field(default=5.0, gt=0)
    reminder_backoff_base_seconds: float = Field(default=60.0, gt=0)
    reminder_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    reminder_max_attempts: int = Field(default=5, ge=1, le=100)

    @model_validator(mode="after")
    def _dev_reminder_template(self) -> "InspectionSettings":
        if not self.reminder_template_id and self.shared.env == "dev":
            self.reminder_template_id = DEV_REMINDER_TEMPLATE_ID
        return self


InspectionSettingsDep = Annotated[
    InspectionSettings, Depends(settings_dependency(InspectionSettings))
]
