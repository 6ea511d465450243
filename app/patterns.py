"""The forms an id or a code must have, and what each is in words.

A client told "String should match pattern '^[a-z0-9]+(?:-[a-z0-9]+)*$'" has to read a regular expression to
learn what to send; ``app/problems.py`` answers with these words instead. Declared apart from ``app/params.py``
so the error handler can read them without importing the parameter models.
"""

from app.models import MAX_ID_LENGTH

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
COUNTRY_CODE = r"^[A-Z]{2}$"  # ISO 3166-1 alpha-2
CURRENCY_CODE = r"^[A-Z]{3}$"  # ISO 4217
LANGUAGE_CODE = r"^[a-z]{2}$"  # ISO 639-1

PATTERN_WORDS = {
    SLUG: f"not an id: an id is a slug, lowercase letters, digits and single hyphens (at most {MAX_ID_LENGTH} "
    "characters), e.g. `antony-blinken`",
    COUNTRY_CODE: "not a country code: two capital letters (ISO 3166-1 alpha-2), e.g. `KZ`",
    CURRENCY_CODE: "not a currency code: three capital letters (ISO 4217), e.g. `USD`",
    LANGUAGE_CODE: "not a language code: two lowercase letters (ISO 639-1), e.g. `en`",
}
