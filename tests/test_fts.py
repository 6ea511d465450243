"""The user's text becomes the same query for both backends, and never query syntax."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import fts
from app.fts import fts5_query, terms, tsquery

CASES = [
    # text, FTS5 query (SQLite), tsquery (PostgreSQL)
    ("Tokayev", '"tokayev"*', "tokayev:*"),
    ("tread caref", '"tread" "caref"*', "tread & caref:*"),
    ("Tokayev’s", '"tokayev"*', "tokayev:*"),
    ("Blínkén", '"blínkén"*', "blinken:*"),  # FTS5 folds the accents itself; for PostgreSQL they go here
    ("U.S. aid", '"u" "s" "aid"*', "u & s & aid:*"),
    ("trip_plan", '"trip plan"*', "(trip <-> plan:*)"),
    ("' OR 1=1--", '"or" "1" "1"*', "or & 1 & 1:*"),
    ('"AND(*', '"and"*', "and:*"),
    ("a:* & !b | <->", '"a" "b"*', "a & b:*"),
    ("’", None, None),
    ("'s", None, None),
    ("\u0000", None, None),
]


@pytest.mark.parametrize(("text", "fts5", "ts"), CASES)
def test_queries_are_built_from_words_only(text: str, fts5: str | None, ts: str | None) -> None:
    assert fts5_query(text) == fts5
    assert tsquery(text) == ts


def test_indexed_terms_split_like_unicode61() -> None:
    assert terms("Kassym-Jomart Tokayev’s U.S. trip — $2.5 million, Blínkén") == [
        "kassym",
        "jomart",
        "tokayev",
        "s",
        "u",
        "s",
        "trip",
        "2",
        "5",
        "million",
        "blinken",
    ]


def test_at_most_sixteen_words() -> None:
    assert tsquery(" ".join(f"w{i}" for i in range(20))) == " & ".join(f"w{i}" for i in range(15)) + " & w15:*"


def test_a_snippet_starts_near_a_match_far_into_the_text() -> None:
    body = " ".join(f"word{i}" for i in range(100)) + " Security matters here, said nobody at all today"
    cut = fts.snippet(body, ["security"])
    assert cut.startswith("…") and f"{fts.OPEN}Security{fts.CLOSE}" in cut
    assert cut.count(fts.OPEN) == 1 and cut.endswith("today")


def test_a_query_whose_words_all_fold_away_gives_the_start_of_the_text() -> None:
    assert terms("ﾞ") == []  # a mark FTS5's tokenizer keeps as a letter, which folding here drops
    cut = fts.snippet("ﾞhello world", [])
    assert cut == "ﾞhello world" and fts.OPEN not in cut


# Text with what makes snippets hard: case, digits, underscores, punctuation, long gaps, and letters outside ASCII
# that fold to ASCII (é, the Kelvin sign) or match ASCII letters case-insensitively (ı), lower-case to two (İ), or
# fold away (ﾞ).
_PIECES = st.sampled_from(
    [
        "security",
        "Security",
        "SECURITY",
        "secure",
        "gov",
        "Government",
        "governs",
        "tread",
        "the",
        "a",
        "2023",
        "sécurité",
        "Sécurity",
        "\u212aazakh",
        "kazakh",
        "ıt",
        "It",
        "straße",
        "İt",
        "ﾞ",
        "_",
        " ",
        " ",
        ", ",
        ". ",
        "—",
        "’s",
        "\n",
        " " * 200,
    ]
)
_BODIES = st.lists(_PIECES, max_size=80).map("".join)
_WORDS = st.lists(
    st.sampled_from(
        [
            "security",
            "secur",
            "gov",
            "government",
            "kazakh",
            "it",
            "i",
            "tread",
            "2023",
            "securite",
            "strasse",
            "ı",
            "the",
        ]
    ),
    max_size=3,
)


@settings(max_examples=600, deadline=None)
@given(body=_BODIES, words=_WORDS)
def test_the_fast_snippet_is_the_walked_one(body: str, words: list[str]) -> None:
    cut = fts.Snippets(words)
    fast = cut._fast(body)
    assert fast is None or fast == cut._walk(body)
    assert cut(body) == cut._walk(body)


@pytest.mark.parametrize("text", ["plain", "Côte d'Ivoire Sécurité", "İstanbul"])
def test_the_fast_snippet_serves_text(text: str) -> None:
    """The fast path is taken (not only ever falling back) for plain text and text with letters outside ASCII
    (one lower-casing to two letters, too), a match far in or none at all."""
    body = " ".join(f"word{i} {text}" for i in range(100)) + " Security matters here, said nobody at all today"
    for words in (["security"], ["secur"], ["nothing"], []):
        cut = fts.Snippets(words)
        assert cut._fast(body) is not None and cut._fast(body) == cut._walk(body)
