"""What a draft is made of, found in an article's text: its title and body, sentences, money amounts, quotations,
date phrases and proper-noun phrases. Each finder returns spans into the verbatim text (code points), so that the
writer can turn them into evidence refs; nothing here knows the registry."""

import re
from collections import Counter
from dataclasses import dataclass

from app import dates
from app.evidence import ArticleText
from app.seeds.money import parse_amount

# Page furniture after (or around) the article proper: never part of the body.
BOILERPLATE = re.compile(
    r"^(?:source link|leave a reply|leave a comment|share this( article| story)?|share on \w+|related( articles| posts"
    r"| stories)?|read more\b.*|read also\b.*|advertisement|subscribe\b.*|sign up\b.*|follow us\b.*|comments?"
    r"|tags?:.*|your email address will not be published\b.*|required fields are marked.*|print|email)$",
    re.IGNORECASE,
)
TITLE_SEPARATORS = (" – ", " — ", " | ", " - ")


@dataclass(frozen=True)
class Layout:
    title: tuple[int, int]
    publisher: tuple[int, int] | None  # the publisher's name after the title, when the title line carries it
    body: tuple[int, int]
    paragraphs: list[tuple[int, int]]  # inside the body


def layout(text: str) -> Layout:
    """The title (the first line, without a " – Publisher" suffix), the publisher's name, and the body: every
    paragraph after the title up to the trailing page boilerplate ("Source link", "Leave a Reply", ...)."""
    paragraphs = [(m.start(), m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
    if not paragraphs:
        raise ValueError("the article is empty")
    (t0, t1), rest = paragraphs[0], paragraphs[1:]
    title, publisher = (t0, t1), None
    for separator in TITLE_SEPARATORS:
        cut = text.rfind(separator, t0, t1)
        if cut > t0:
            title, publisher = (t0, cut), (cut + len(separator), t1)
            break
    while rest and BOILERPLATE.match(text[rest[-1][0] : rest[-1][1]].strip()):
        rest.pop()
    rest = [p for p in rest if not BOILERPLATE.match(text[p[0] : p[1]].strip())]
    if not rest:
        raise ValueError("the article has no body after its title line")
    return Layout(title, publisher, (rest[0][0], rest[-1][1]), rest)


def sentences(text: str, paragraphs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans: a paragraph split after ., ! or ? (with any closing quote) before a capital or a quote."""
    found = []
    for lo, hi in paragraphs:
        start = lo
        for m in re.finditer(r"(?<=[.!?])[”\"’]?\s+(?=[A-Z“\"])", text[lo:hi]):
            found.append((start, lo + m.start() + len(m[0].rstrip())))
            start = lo + m.end()
        found.append((start, hi))
    return found


def enclosing(spans: list[tuple[int, int]], at: int) -> tuple[int, int]:
    return next((s for s in spans if s[0] <= at < s[1]), (at, at))


# --- Money ---------------------------------------------------------------------------------------------------

_NUMBER = r"\d[\d,]*(?:\.\d+)?"
_SCALE = r"(?:[ \u00a0](?:thousand|million|billion|trillion)\b|[ \u00a0]?bn\b)"
_WORD = r"(?:US )?(?:dollars?|euros?|pounds?|yen|yuan|rubles?|roubles?)\b"
AMOUNT = re.compile(
    rf"(?<![\w$€£¥])(?:(?P<mark>US\$|[$€£¥])[ \u00a0]?{_NUMBER}{_SCALE}?|{_NUMBER}{_SCALE}?[ \u00a0](?P<word>{_WORD}))",
    re.IGNORECASE,
)
# The currency a mark most often means; the ambiguous ones say so in the draft.
MARK_CURRENCY = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
WORD_CURRENCY = {"dollar": "USD", "euro": "EUR", "pound": "GBP", "yen": "JPY", "yuan": "CNY", "ruble": "RUB"}
AMBIGUOUS = {"$": "a dollar sign: USD unless the article means another dollar", "¥": "a yen sign: JPY or CNY"}


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    currency: str
    amount_minor: int
    note: str  # why this currency, when the mark is ambiguous


def amounts(text: str, lo: int, hi: int) -> list[Amount]:
    found = []
    for m in AMOUNT.finditer(text, lo, hi):
        if m["mark"]:
            currency, note = MARK_CURRENCY[m["mark"].upper()], AMBIGUOUS.get(m["mark"], "")
        else:
            word = m["word"].lower().removeprefix("us ").rstrip("s").replace("rouble", "ruble")
            currency, note = WORD_CURRENCY[word], ""
        try:
            minor = parse_amount(m[0], currency)
        except ValueError:
            continue  # not a whole number of minor units: nothing a pledge could state
        found.append(Amount(m.start(), m.end(), currency, minor, note))
    return found


# --- Quotations ----------------------------------------------------------------------------------------------

QUOTE_PAIRS = re.compile(r"“(?P<curly>[^”\n]+)”|\"(?P<straight>[^\"\n]+)\"")
ATTRIBUTION_VERB = re.compile(
    r"\b(?:said|says|told|tells|added|adds|asked|noted|stated|voiced|wrote|writes|declared|warned|argued|explained"
    r"|insisted|stressed|urged|promised|according to)\b"
)


@dataclass(frozen=True)
class Quotation:
    start: int  # the words, without the quote marks and without trailing punctuation
    end: int
    direct: bool  # a whole statement that starts a sentence; else a fragment inside reported speech
    attribution: tuple[int, int] | None  # the clause with the attribution verb, outside the quote marks


def quotations(text: str, sentence_spans: list[tuple[int, int]], lo: int, hi: int) -> list[Quotation]:
    found = []
    for m in QUOTE_PAIRS.finditer(text, lo, hi):
        group = "curly" if m["curly"] is not None else "straight"
        start, end = m.start(group), m.end(group)
        while end > start and text[end - 1] in ",.;:!? ":
            end -= 1
        if end - start < 2:
            continue
        s0, s1 = enclosing(sentence_spans, m.start())
        before = text[s0 : m.start()]
        # A whole statement: it opens its sentence, or follows "X said," and starts with a capital.
        introduced = before.rstrip().endswith((":", ",")) and ATTRIBUTION_VERB.search(before) is not None
        direct = not before.strip() or (introduced and text[start].isupper())
        found.append(Quotation(start, end, bool(direct), _attribution(text, (s0, s1), m.start(), m.end())))
    return found


def _attribution(text: str, sentence: tuple[int, int], open_at: int, close_at: int) -> tuple[int, int] | None:
    """The clause after the quotation up to the sentence's end, or before it from the sentence's start (or the
    last quotation before it), whichever holds an attribution verb."""
    after = re.match(r"[\s,]*", text[close_at : sentence[1]])
    a0 = close_at + (after.end() if after else 0)
    a1 = sentence[1]
    while a1 > a0 and text[a1 - 1] in ".,;:!? ":
        a1 -= 1
    if ATTRIBUTION_VERB.search(text, a0, a1) and "“" not in text[a0:a1] and '"' not in text[a0:a1]:
        return a0, a1
    b0 = max(sentence[0], text.rfind("”", sentence[0], open_at) + 1)
    b1 = open_at
    while b1 > b0 and text[b1 - 1] in " ,:":
        b1 -= 1
    verb = ATTRIBUTION_VERB.search(text, b0, b1)
    if verb is None:
        return None
    # From the clause that holds the verb: after the last comma, dash or semicolon before it.
    cut = max(text.rfind(sep, b0, verb.start()) + len(sep) for sep in (", ", " — ", " – ", "; "))
    b0 = max(b0, cut)
    while b0 < b1 and text[b0] in " ,":
        b0 += 1
    return (b0, b1) if b0 < b1 else None


# --- Proper nouns --------------------------------------------------------------------------------------------

PROPER = re.compile(r"(?<![\w’'])[A-Z][\w’'.-]*(?:(?: (?:of|for|and|the|de|al|bin|van|von))* [A-Z][\w’'.-]*)*")
NOT_NAMES = {  # capitalised words that start a sentence or a title, not a name
    *[
        "The",
        "A",
        "An",
        "And",
        "But",
        "In",
        "On",
        "At",
        "For",
        "Of",
        "To",
        "As",
        "With",
        "By",
        "From",
        "Unlike",
        "All",
        "His",
        "Her",
        "Its",
        "Their",
        "This",
        "That",
        "These",
    ],
    *[
        "Those",
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "You",
        "Last",
        "Next",
        "Days",
        "Secretary",
        "President",
        "Minister",
        "Foreign",
        "Prime",
    ],
    *(d.capitalize() for d in dates.WEEKDAYS),
    *dates.MONTHS,
}


def proper_nouns(text: str, lo: int, hi: int, taken: list[tuple[int, int]]) -> Counter[str]:
    """Capitalised phrases that no known entity covers ("Marta Lindqvist", "Lake Issyk-Kul"), with their counts."""
    counts: Counter[str] = Counter()
    for m in PROPER.finditer(text, lo, hi):
        words = m[0].rstrip(".’'").split(" ")
        while words and words[0] in NOT_NAMES:
            words.pop(0)
        phrase = " ".join(words)
        start = m.start() + m[0].find(phrase) if phrase else m.start()
        opens_sentence = start == lo or text[start - 2 : start] == ". " or text[start - 1] in '\n“"'
        if len(words) == 1 and opens_sentence:
            continue  # "Clean power is ...": a capital because the sentence starts there
        if not phrase or any(start < e and s < start + len(phrase) for s, e in taken):
            continue
        counts[phrase] += 1
    return counts


def article_text(raw: bytes) -> ArticleText:
    return ArticleText(raw.decode("utf-8"))
