"""The generator's vocabularies: the words of the text, people's names, roles, kinds of organizations and
publishers, currencies, dates' words, and the app's own enum-like vocabularies (checked against ``app.models``
when this module is imported)."""

from collections.abc import Collection
from itertools import accumulate
from typing import Any

from app.models import EventType, PledgeStatus, QuoteKind, values_of


def _words(text: str) -> list[str]:
    return text.split()


# Words of the generated text, most frequent first; frequency falls with rank (Zipf). The benchmark searches
# for COMMON_WORD (in several percent of the quotes) and types PREFIX (the start of a few common words).
FUNCTION_WORDS = _words(
    "the we will to and of a in for our is that not this with be it on are must have as they their all more "
    "by about what from who can an has was been would there no"
)
CONTENT_WORDS = _words(
    "people country security government support region economy time war peace trade future years policy "
    "sanctions energy talks government help world partners border growth crisis jobs aid rights law "
    "president minister election reform budget market prices workers families children schools health "
    "water food climate investment infrastructure agreement cooperation stability sovereignty independence "
    "governance governor governments military defense alliance dialogue pressure decision responsibility "
    "progress development transport railway pipeline gas oil grain exports imports currency inflation "
    "banks debt loans corruption justice courts media freedom journalists citizens communities villages "
    "cities farmers business companies technology internet digital education universities science research "
    "hospitals doctors vaccine refugees migrants borders neighbours friends commitment promise challenge "
    "opportunity risk threat attack invasion ceasefire negotiations summit visit meeting conference vote "
    "parliament opposition coalition protest strike union tax spending"
)
COMMON_WORD = "security"
PREFIX = "gov"
_SYLLABLES = _words("ka lo mi ru ze ta vo ni pa su re do fi ga hu ja ke ly mo ne")
# The long tail: pseudo-words, each rare (a handful of uses per million quotes).
RARE_WORDS = [a + b + c + "n" for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
VOCABULARY = list(dict.fromkeys(FUNCTION_WORDS + CONTENT_WORDS)) + RARE_WORDS
# Common words follow Zipf's law; the pseudo-words share 3% of the running text, a few dozen uses each per 1M quotes.
_COMMON_WEIGHTS = [1 / (rank + 3) for rank in range(len(VOCABULARY) - len(RARE_WORDS))]
WORD_CUM = list(accumulate(_COMMON_WEIGHTS + [0.03 * sum(_COMMON_WEIGHTS) / len(RARE_WORDS)] * len(RARE_WORDS)))

FIRST_NAMES = _words(
    "Ana Boris José Chen Amara Dmitri Elena Farid Grace Hiro Ines Jamal Kofi Lena Mateo Nadia Olga Pavel "
    "Quentin Rosa Sami Tanja Umar Vera Wen Ximena Yusuf Zoë Aigerim Björn Chloé Darius Emre Fatima Gábor "
    "Hana Ivan Jorge Kateryna Luis Marta Nikolai Oksana Pedro Rustam Sofia Timur Ulla Viktor Walid"
)
LAST_NAMES = _words(
    "Petrov Müller García Chen Okafor Ivanova Haddad Smith Tanaka Kowalski Nowak Rossi Dubois Silva Kim "
    "Nazarbayev Popescu Horvat Jensen Novák Yilmaz Ahmadi Mensah Nguyen Costa Schmidt Larsen Fischer Moreau "
    "Santos Ibrahim Kaur Sato Lindqvist Alvarez Bauer Kovačević Omarov Sultanov Karimova Ali Hussein Park "
    "Rahman Wójcik Janssen Öztürk Abdullayev Tashkentov Brown"
)
ROLES = ("minister", "spokesperson", "ambassador", "adviser", "chair", "director")
ORG_KINDS = ("Ministry of Foreign Affairs", "Ministry of Energy", "Central Bank", "Parliament", "Trade Agency")
PUBLISHER_KINDS = ("Times", "Herald", "Post", "Gazette", "Tribune", "Daily")
# The app's event types, drawn uniformly in the app's order: the order decides which type a draw picks, so it
# is part of the dataset version (reordering or extending the app's list changes the rows and the version).
EVENT_TYPES: tuple[EventType, ...] = values_of(EventType)  # type: ignore[assignment]
# Weighted draws over the app's vocabularies, in a fixed order (the order of the draw, not the app's): a kind
# and the cumulative share up to it; a status listed twice is drawn twice as often.
QUOTE_KINDS: tuple[tuple[QuoteKind, float], ...] = (("direct", 0.6), ("indirect", 0.85), ("partial", 1.0))
PLEDGE_STATUSES: tuple[PledgeStatus, ...] = ("new", "new", "previously_announced", "reaffirmed")
CURRENCIES = (("USD", "$"), ("EUR", "€"), ("GBP", "£"))
MILLIONS = (1, 2, 3, 5, 10, 15, 20, 25, 50, 100, 150, 250, 500, 1000)
LANGUAGES = ("en",) * 18 + ("ru", "fr")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = _words("January February March April May June July August September October November December")


def _check_vocabulary(name: str, drawn: Collection[str], vocabulary: Any) -> None:
    """Fail at import if a draw no longer covers exactly the app's ``vocabulary`` (a ``Literal``)."""
    if set(drawn) != set(values_of(vocabulary)):
        raise RuntimeError(f"tools.synth draws {name} {sorted(drawn)}, the app has {sorted(values_of(vocabulary))}")


_check_vocabulary("quote kinds", [kind for kind, _ in QUOTE_KINDS], QuoteKind)
_check_vocabulary("pledge statuses", PLEDGE_STATUSES, PledgeStatus)
