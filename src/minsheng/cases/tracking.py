"""Tracking numbers a citizen can read out on the phone, and the query code that guards rating."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from stdnum.iso7064 import mod_37_36

from minsheng.core.errors import ValidationFailed

# Crockford's alphabet: no I, L, O or U, so nothing is misread between 1/I/L or 0/O.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_CHARS = 5
_SHAPE = re.compile(r"^(\d{6})([0-9A-Z]{5})([0-9A-Z*])$")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvalidTrackingNumber(ValidationFailed):
    default_message = "受理编号格式不正确，请核对后重新输入"


def new_tracking_number(moment: datetime) -> str:
    """Make a number such as 261123-4F7K2-X: date, random part, ISO 7064 check character."""
    body = moment.strftime("%y%m%d") + "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    return format_tracking_number(body + mod_37_36.calc_check_digit(body))


def format_tracking_number(compact: str) -> str:
    """Group a compact number for reading: 261123-4F7K2-X."""
    return f"{compact[:6]}-{compact[6:11]}-{compact[11:]}"


def parse_tracking_number(text: str) -> str:
    """Normalise what a citizen typed and check its check character; return the grouped number."""
    compact = re.sub(r"[\s\-－—_]", "", (text or "").upper())
    match = _SHAPE.match(compact)
    if not match:
        raise InvalidTrackingNumber()
    body = match.group(1) + match.group(2).translate(_READ_AS)
    number = body + match.group(3)
    if not mod_37_36.is_valid(number):
        raise InvalidTrackingNumber("受理编号校验位不符，请检查是否有输错的字符")
    return format_tracking_number(number)


def new_query_code() -> str:
    """Make a six-digit code the citizen keeps to rate the reply."""
    return f"{secrets.randbelow(10**6):06d}"


def hash_query_code(code: str, *, key: bytes) -> str:
    """Keep only a keyed digest of the query code."""
    return hmac.new(key, code.strip().encode(), hashlib.sha256).hexdigest()


def query_code_matches(code: str, digest: str | None, *, key: bytes) -> bool:
    """Compare a typed query code with the stored digest in constant time."""
    return digest is not None and hmac.compare_digest(hash_query_code(code, key=key), digest)
