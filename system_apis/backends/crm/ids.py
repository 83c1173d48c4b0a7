"""Salesforce-style record ids: a 15-character case-sensitive id plus a 3-character suffix
that makes the 18-character form safe in case-insensitive places.

The first three characters are the object's key prefix (``001`` Account, ``003`` Contact,
``00T`` Task); Salesforce accepts either form of an id anywhere and always answers with the
18-character one.
"""

from __future__ import annotations

import string

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"

ACCOUNT_PREFIX = "001"
CONTACT_PREFIX = "003"
TASK_PREFIX = "00T"
QUERY_LOCATOR_PREFIX = "01g"
_POD = "Dn000"  # the part of a real id that names the server instance
_NUMBER_WIDTH = 7
MAX_NUMBER = 62**_NUMBER_WIDTH - 1


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum_suffix(id15: str) -> str:
    suffix = ""
    for chunk_start in range(0, 15, 5):
        chunk = id15[chunk_start : chunk_start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if char.isupper())
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def salesforce_id(prefix: str, number: int) -> str:
    """The 18-character id of record ``number`` of the object whose key prefix is ``prefix``."""
    if len(prefix) != 3:
        raise ValueError("a key prefix has 3 characters")
    if not 0 <= number <= MAX_NUMBER:
        raise ValueError(f"record number {number} does not fit in an id")
    id15 = prefix + _POD + _base62(number, _NUMBER_WIDTH)
    return id15 + checksum_suffix(id15)


def is_salesforce_id(value: str) -> bool:
    if len(value) != 18 or any(char not in _BASE62 for char in value):
        return False
    return checksum_suffix(value[:15]) == value[15:]


def to_18(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None when it is not an id."""
    if len(value) == 15 and all(char in _BASE62 for char in value):
        return value + checksum_suffix(value)
    if is_salesforce_id(value):
        return value
    return None


def normalize_id(value: str, prefix: str) -> str | None:
    """The 18-character id when ``value`` is an id of the object with key ``prefix``."""
    full = to_18(value)
    if full is None or not full.startswith(prefix):
        return None
    return full
