"""Amounts: reading "$25 million" as minor units of a currency, to check a pledge's ``amount_minor``; and each
amount's US dollar equivalent at the time, so that amounts in different currencies can be compared."""

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

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


# --- US dollar equivalents --------------------------------------------------------------------------------------

USD_SOURCE = "European Central Bank euro reference rates, crossed through the euro (the currencyconverter package)"
MAX_DAYS_BACK = 10  # weekends and holidays: the latest business day with a rate is at most a few days back


@lru_cache(maxsize=1)
def _converter() -> Any:
    """The ECB's daily reference rates shipped inside the package (offline), read once per process."""
    from currency_converter import CurrencyConverter

    return CurrencyConverter(decimal=True, fallback_on_missing_rate=False, fallback_on_wrong_date=False)


@lru_cache(maxsize=65536)
def usd_rate(currency: str, day: date) -> tuple[Decimal, date] | None:
    """US dollars per unit of ``currency`` on ``day`` (or the latest business day before it; the last published day
    for a later one), and the day of that rate; None for a currency the ECB does not publish."""
    if currency == "USD":
        return Decimal(1), day
    converter = _converter()
    if currency not in converter.currencies:
        return None
    from currency_converter import RateNotFoundError

    on = min(day, converter.bounds[currency].last_date, converter.bounds["USD"].last_date)
    for _ in range(MAX_DAYS_BACK):
        try:
            return Decimal(converter.convert(1, currency, "USD", date=on)), on
        except RateNotFoundError:
            on -= timedelta(days=1)
    return None


def usd_equivalent(amount_minor: int, currency: str, day: date, which: str) -> dict[str, Any] | None:
    """The amount in US dollars at the rate of ``day`` (``which`` says what day that is), as the API shows it; None
    when there is no rate for the currency."""
    found = usd_rate(currency, day)
    if found is None:
        return None
    rate, rate_date = found
    major = Decimal(amount_minor) / 10 ** minor_exponent(currency)
    cents = int((major * rate * 100).to_integral_value(ROUND_HALF_EVEN))
    if currency == "USD":
        basis = "Already in US dollars."
    else:
        later = "" if rate_date == day else f", the latest business day with a rate on or before {day}"
        basis = f"The {currency} rate of {rate_date}{later}: {which}."
    return {
        "amount": cents // 100 if cents % 100 == 0 else cents / 100,
        "amount_minor": cents,
        "rate": float(rate),
        "rate_date": rate_date.isoformat(),
        "source": "none: already in US dollars" if currency == "USD" else USD_SOURCE,
        "basis": basis,
    }
