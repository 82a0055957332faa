"""How a plain scalar resolves, as PyYAML's YAML 1.1 rules do: booleans, nulls, numbers, and what is refused."""

from __future__ import annotations

import re
from typing import Any

from sfp.config.miniyaml.source import (
    BASE_60_FLOAT,
    BASE_60_INT,
    BINARY,
    BOOLEANS,
    DECIMAL,
    FLOAT,
    HEXADECIMAL,
    INFINITY,
    MERGE_MESSAGE,
    NAN,
    NOT_A_NUMBER,
    NULLS,
    NUMBER_CHARACTERS,
    NUMBER_START,
    OCTAL,
    RESOLVABLE_START,
    TIMESTAMP,
    Failure,
)


def resolve_plain(pos: int, text: str) -> Any:
    """The value of the plain scalar `text` read at `pos`, as YAML 1.1 resolves it (or a refusal)."""
    if text[0] not in RESOLVABLE_START:
        return text
    if text in BOOLEANS:
        return BOOLEANS[text]
    if text in NULLS:
        return None
    if text[0] in NUMBER_START:
        return resolve_number(pos, text)
    if text == "=":
        raise Failure(pos, "a lone '=' is a special value to YAML 1.1 tools; quote it")
    if text == "<<":
        raise Failure(pos, MERGE_MESSAGE)
    return text


def resolve_number(pos: int, text: str) -> Any:
    if text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return to_int(pos, text)  # the common case, without a regex
    whole, dot, fraction = text.lstrip("+-").partition(".")
    if dot and whole.isdigit() and whole.isascii() and (not fraction or fraction.isdigit() and fraction.isascii()):
        if len(text) - len(whole) - len(dot) - len(fraction) <= 1:  # one sign at most
            return float(text)
    if not NUMBER_CHARACTERS.issuperset(text):
        return text  # `-v`, `.env`: no number, date or time has such letters
    if re.fullmatch(FLOAT, text) or re.fullmatch(INFINITY, text):
        value = text.replace("_", "").lower()
        sign = -1.0 if value[0] == "-" else 1.0
        value = value.lstrip("+-")
        return sign * (float("inf") if value == ".inf" else float(value))
    if re.fullmatch(NOT_A_NUMBER, text):
        return NAN
    if re.fullmatch(DECIMAL, text):
        return to_int(pos, text.replace("_", ""))
    if re.fullmatch(HEXADECIMAL, text):
        digits = text.replace("_", "")
        sign = -1 if digits[0] == "-" else 1
        digits = digits.lstrip("+-")[2:]
        if not digits:
            raise Failure(pos, f"{text} is not a number, but YAML 1.1 tools read it as one; quote it")
        return sign * int(digits, 16)
    if re.fullmatch(BASE_60_INT, text) or re.fullmatch(BASE_60_FLOAT, text):
        raise Failure(pos, f"{text} would be read as a base-60 number by YAML 1.1 tools; quote it")
    if re.fullmatch(OCTAL, text):
        raise Failure(pos, f"{text} would be read as an octal number by YAML 1.1 tools; quote it")
    if re.fullmatch(BINARY, text):
        raise Failure(pos, f"{text} would be read as a binary number by YAML 1.1 tools; quote it")
    if re.fullmatch(TIMESTAMP, text):
        raise Failure(pos, f"{text} would be read as a date by YAML 1.1 tools; quote it")
    return text


def to_int(pos: int, digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # over CPython's 4300 digits for int(), where PyYAML crashes
        raise Failure(pos, "an integer this long is not supported; quote it") from None
