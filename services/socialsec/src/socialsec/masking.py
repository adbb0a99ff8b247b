"""Display masks of personal data (reference/socialsec-and-accounts.md, PIPL Art. 51).

Applied at the serialisation boundary: API models declare masked fields with `Masked*` types, so
whatever a handler puts in them leaves the service masked; logs carry only these forms too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import PlainSerializer


def mask_name(name: str) -> str:
    """A name keeps its first character: 张三 -> 张*, 段誉明 -> 段**."""
    return name[:1] + "*" * (len(name) - 1)


def mask_id_number(number: str) -> str:
    """An ID number keeps its first 3 and last 4 characters: 440***********1234."""
    if len(number) <= 7:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_card_number(number: str) -> str:
    """A card or bank account number keeps its last 4 characters."""
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


def _masking(mask: Callable[[str], str]) -> PlainSerializer:
    # Idempotent on already-masked values: a masked value never gets less masked.
    return PlainSerializer(lambda value: mask(value) if value else value, return_type=str)


MaskedName = Annotated[str, _masking(mask_name)]
MaskedIdNumber = Annotated[str, _masking(mask_id_number)]
MaskedCardNumber = Annotated[str, _masking(mask_card_number)]
