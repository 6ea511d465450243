"""Amounts: reading "$25 million" as minor units of a currency, to check a pledge's ``amount_minor``."""

import re
from decimal import Decimal, InvalidOperation

MINOR_UNIT_EXCEPTIONS = {  # ISO 4217 currencies whose minor unit is not 1/100 (the rest use two decimals)
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"], 0),
    **dict.fromkeys(["VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}
CURRENCY_MARKS = {
    "$": {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"},
    "US$": {"USD"},
    "€": {"EUR"},
    "£": {"GBP"},
    "¥": {"JPY", "CNY"},
    "dollar": {"USD", "CAD", "AUD", "NZD", "HKD", "SGD"},
    "euro": {"EUR"},
    "pound": {"GBP"},
    "yen": {"JPY"},
    "yuan": {"CNY"},
    "ruble": {"RUB"},
    "rouble": {"RUB"},
}
SCALES = {"thousand": 10**3, "million": 10**6, "m": 10**6, "billion": 10**9, "bn": 10**9, "trillion": 10**12}
_AMOUNT = re.compile(
    r"^(?P<mark>US\$|[$€£¥])?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>thousand|million|billion|trillion|bn|m)?"
    r"\s*(?P<word>(?:US )?(?:dollar|euro|pound|yen|yuan|ruble|rouble)s?)?$",
    re.IGNORECASE,
)


def minor_exponent(currency: str) -> int:
    return MINOR_UNIT_EXCEPTIONS.get(currency, 2)


def parse_amount(text: str, currency: str) -> int:
    """The amount ``text`` states, in minor units of ``currency``; ValueError when it cannot be read so."""
    match = _AMOUNT.match(text.strip().replace("\u00a0", " "))
    if not match:
        raise ValueError(f"cannot read an amount from {text!r} (expected e.g. '$25 million')")
    for mark in (match["mark"], match["word"]):
        if mark:
            key = mark.lower().removeprefix("us ").rstrip("s") if mark[0].isalpha() else mark
            if currency not in CURRENCY_MARKS.get(key, {currency}):
                raise ValueError(f"{text!r} is not an amount in {currency}")
    try:
        number = Decimal(match["number"].replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"cannot read a number from {text!r}") from None
    scale = SCALES[match["scale"].lower()] if match["scale"] else 1
    minor = number * scale * 10 ** minor_exponent(currency)
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of minor units of {currency}")
    return int(minor)
