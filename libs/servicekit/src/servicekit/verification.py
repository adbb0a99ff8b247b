"""Verification codes printed on documents anyone may check (certificates, report summaries).

A code is 16 random characters of Crockford's base32 alphabet, which leaves out 0/O, 1/I/L and U
look-alikes so a code can be read aloud and typed from paper. It is the document's key: a
public check by code finds the document, and an altered code finds nothing (32^16 = 2^80 codes
cannot be guessed, and the gateway rate-limits the checks).
"""

from __future__ import annotations

import re
import secrets

from servicekit.errors import InvalidIdentifier

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
# Spaces and dashes people type between the printed groups.
SEPARATORS = re.compile(r"[\s\-]")


def new_code() -> str:
    """A fresh random verification code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """A code in groups of four, as printed: ABCD-EFGH-JKMN-PQRS."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def validate_code(*, code: str, document: str) -> str:
    """A verification code, upper-cased without separators; InvalidIdentifier naming the
    `document` it is printed on (证明, 报告…) when it cannot be one."""
    value = SEPARATORS.sub("", code).upper()
    if len(value) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in value):
        raise InvalidIdentifier(
            f"验证码应为16位字母或数字（如 ABCD-EFGH-JKMN-PQRS），请核对{document}上的验证码。"
        )
    return value
