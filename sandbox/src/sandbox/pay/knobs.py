"""How the simulator delivers notifications: drop, duplicate, delay, reorder, corrupt."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Corruption = Literal["signature", "timestamp", "ciphertext", "amount"]


class Knobs(BaseModel):
    """Applied to each notification as it is created (later changes leave it as it was)."""

    drop: bool = Field(default=False, description="never deliver notifications (reconcile!)")
    duplicate: int = Field(
        default=1, ge=1, le=100, description="deliver each notification N times, concurrently"
    )
    delay_seconds: float = Field(
        default=0.0, ge=0, le=86400, description="wait this long before the first attempt"
    )
    reorder: bool = Field(
        default=False,
        description="hold notifications and deliver them newest first, reorder_window_seconds "
        "after the first one was held (or at once on POST /sandbox/pay/notifications/release)",
    )
    reorder_window_seconds: float = Field(default=1.0, ge=0, le=3600)
    corrupt: Corruption | None = Field(
        default=None,
        description="signature: a signature that does not verify; timestamp: signed 10 minutes "
        "ago; ciphertext: a tampered ciphertext (GCM tag fails); amount: the plaintext's amount "
        "differs from the order's (validly encrypted and signed)",
    )
