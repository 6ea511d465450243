"""Full-text search with one meaning on both backends: SQLite's FTS5 and PostgreSQL's tsvector.

What a query means: plain text, matched case-, accent- and typography-insensitively, every word required, the last
one as a prefix, a match in the label (a name or title) weighing more than one in the body, and one in the body
more than one in the names of the fact's people (its speaker, donor, announcer, recipients or participants, with
their aliases: a search for "Lavrov" finds what Lavrov said, after what was said about him); nothing the user
types is ever syntax. Snippets are always cut from the fact's own words, never from the names. Each backend's SQL
lives here, behind ``app/matches.py`` (the ``q`` filter of a list), ``search`` (ranked hits with snippets) and
``index_rows`` (what the loader writes, with ``people``: the names of each fact's people).

SQLite's ``unicode61`` tokenizer splits text into runs of letters and digits, folds case and drops diacritics.
PostgreSQL's own parser is cleverer (``U.S.`` is one token, ``2.5`` a number, URLs and hosts are kept whole), which
would change what matches. So on PostgreSQL the loader indexes the words as ``terms`` splits them — the same runs of
letters and digits, folded the same way — and the query goes through the same function: the ``simple`` text-search
configuration then only has whole, already folded words to see. Snippets are cut from the verbatim body by
``ts_headline`` with the ``article_facts`` configuration (``simple`` behind ``unaccent``), created by the migration.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, Select, func, literal_column, select, text

from app.evidence import fold
from app.matches import SEARCH_INDEX, search_rowid
from app.models import Entity, EntityAlias, EventParticipant, Pledge, PledgeRecipient, Quote

MAX_WORDS = 16
# A match in a name or title counts this many times one in the body text.
LABEL_WEIGHT = 5.0
# A match in the names of a fact's people counts this share of one in its own words: low enough that a fact that
# says a name ranks above one that is only by or for that person (tests/test_search.py), high enough to be found.
NAMES_WEIGHT = 0.2
# Control characters never occur in the indexed text, so they can mark matches before the text is escaped.
OPEN, CLOSE = "\x02", "\x03"
SNIPPET_WORDS = 16


_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"[^\W_]+")  # what unicode61 calls a token: letters and digits, not the underscore
_POSSESSIVE = re.compile(r"'s\b", re.IGNORECASE)


def query_words(text: str) -> list[str]:
    """The words of a user's query, lower-cased, at most ``MAX_WORDS``; none when it has no words at all.

    A possessive 's is not a word of its own: "Tokayev's" searches for tokayev, not tokayev + s*. Words joined by
    an underscore stay one (multi-token) word, matched as a phrase.
    """
    text = _POSSESSIVE.sub("", fold(text))
    words = [w.replace("_", " ") for w in _WORD.findall(text.lower())][:MAX_WORDS]
    return [w for w in words if w.strip()]


def terms(text: str) -> list[str]:
    """``text`` as unicode61 tokenizes it: runs of letters and digits, lower-cased, without diacritics."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _TOKEN.findall(stripped)


def fts5_query(text: str, prefix: bool = True) -> str | None:
    """Plain user text -> an FTS5 query: each word a quoted string, all required, the last one as a prefix
    (unless ``prefix`` is false)."""
    words = query_words(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def tsquery(text: str) -> str | None:
    """Plain user text -> a ``to_tsquery`` string: ``word1 & word2:*``, a multi-token word as ``a <-> b``.

    Every operand is a run of letters and digits (``terms``), so none of tsquery's operators can come from the user.
    """
    phrases = [" <-> ".join(tokens) for tokens in map(terms, query_words(text)) if tokens]
    if not phrases:
        return None
    phrases[-1] += ":*"
    return " & ".join(f"({p})" if "<->" in p else p for p in phrases)


def query(dialect: str, text: str) -> str | None:
    """The backend's full-text query for ``text`` (bound as the parameter ``q``); None when it has no words."""
    return tsquery(text) if dialect == "postgresql" else fts5_query(text)


def search(
    connection: Connection, text: str, kinds: Iterable[str] | None, limit: int
) -> list[tuple[str, str, str, str]]:
    """Ranked hits for ``text``: (kind, id, label, snippet), best first; the snippet marks matches with
    ``OPEN``/``CLOSE`` and is not yet escaped. No hits when ``text`` has no words."""
    kinds = sorted(kinds) if kinds else None
    if connection.dialect.name != "postgresql":
        query = fts5_query(text)
        if query is None:
            return []
        cut = Snippets([term for word in query_words(text) for term in terms(word)])
        hits = _sqlite_hits(connection, query, fts5_query(text, prefix=False) or query, kinds, limit)
        return [(kind, id_, label, cut(body)) for kind, id_, label, body in hits]
    statement = _search_postgresql(text)
    if statement is None:
        return []
    if kinds:
        statement = statement.where(SEARCH_INDEX.c.kind.in_(kinds))
    return [(row.kind, row.id, row.label, row.snippet) for row in connection.execute(statement.limit(limit))]


# Ranking a common word is what makes full-text search slow at scale: "security" is in a tenth of a million
# documents, and FTS5's bm25() counts every one of them (for the word's rarity) before it scores any. So a query
# with at least CANDIDATES matches is ordered by where it matches (IN_ORDER_MATCHES: names and titles first, then
# the fact's own words, then the names of its people), then by index order,
# which is load order (entities first, then each article with its events, quotes and pledges); both orders are
# read straight off the index and stop at the page. A query with fewer matches is ranked by BM25, as always.
# Snippets are cut here from each hit's text: FTS5's snippet() would run the query again for every hit.
CANDIDATES = 200
KINDS = "AND kind IN (SELECT value FROM json_each(?))"
SQLITE_COUNT = "SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ? {kinds} LIMIT ?)"
SQLITE_RANKED = f"""
SELECT kind, id, label, body FROM search_index WHERE search_index MATCH ? {{kinds}}
ORDER BY bm25(search_index, 0.0, 0.0, {LABEL_WEIGHT}, 1.0, {NAMES_WEIGHT}), id LIMIT ?
"""
SQLITE_IN_ORDER = "SELECT kind, id, label, body FROM search_index WHERE search_index MATCH ? {kinds} LIMIT ?"
IN_ORDER_MATCHES = ("label : ({query})", "{{label body}} : ({query})", "{query}")


def _sqlite_hits(
    connection: Connection, query: str, whole: str, kinds: list[str] | None, limit: int
) -> list[tuple[str, ...]]:
    """``query`` ends in a prefix; ``whole`` is the same with the last word whole, and is used instead when it alone
    has CANDIDATES matches: a long prefix merges the posting list of every word that starts with it, the whole
    word's list is read only as far as the page needs."""
    extra = [orjson.dumps(kinds).decode()] if kinds else []
    form = {"kinds": KINDS if kinds else ""}

    def run(sql: str, match: str, *args: Any) -> list[Any]:
        return [tuple(row) for row in connection.exec_driver_sql(sql.format(**form), (match, *extra, *args))]

    if run(SQLITE_COUNT, whole, CANDIDATES)[0][0] >= CANDIDATES:
        query = whole
    elif run(SQLITE_COUNT, query, CANDIDATES)[0][0] < CANDIDATES:
        return run(SQLITE_RANKED, query, limit)
    hits: list[tuple[str, ...]] = []
    for match in IN_ORDER_MATCHES:
        if len(hits) == limit:
            break
        seen = {(kind, id_) for kind, id_, _, _ in hits}
        more = run(SQLITE_IN_ORDER, match.format(query=query), limit + len(hits))
        hits += [hit for hit in more if (hit[0], hit[1]) not in seen][: limit - len(hits)]
    return hits


_SPAN = re.compile(r"[^\W_]+")
# A letter or digit outside ASCII: where ``.lower()`` and the index's folding (``terms``) may differ.
_NON_ASCII_WORD = re.compile(r"[^\W\x00-\x7f]")
# How far back ``Snippets`` looks for the two words before the first match (then the slow path).
_LOOK_BACK = 160
# The (at most) two words before a position, matched in the reversed text before it: where the snippet starts.
_TWO_BEFORE = re.compile(r"(?:[\W_]++[^\W_]++(?:[\W_]++[^\W_]++)?)?")
# A snippet's words from its first: up to SNIPPET_WORDS tokens and what separates them.
_WINDOW = re.compile(rf"[^\W_]+(?:[\W_]+[^\W_]+){{0,{SNIPPET_WORDS - 1}}}")


def snippet(body: str, words: list[str]) -> str:
    """About ``SNIPPET_WORDS`` words of ``body`` around its first match, matches between ``OPEN`` and ``CLOSE``,
    "…" where the text was cut. A token matches a query word when it folds to it (the last word: starts with it),
    as the full-text index matched it. Reads the text only as far as the end of the snippet."""
    return Snippets(words)(body)


class Snippets:
    """``snippet`` for many bodies and the same ``words``, mostly without a Python step per word of text.

    The first match is found by ``str.find`` in the lower-cased text for ASCII tokens (lower-casing is then the
    index's folding), the few tokens with letters outside ASCII folded one by one; the snippet is cut around it by
    regular expressions. Where the words before the match are too far back to find cheaply, the word-by-word walk
    (``_walk``) cuts it.
    Both give the same snippet (tests/test_fts.py compares them)."""

    def __init__(self, words: list[str]) -> None:
        if not words:  # a query whose words all fold away here (FTS5 keeps a few such marks as letters)
            words = ["\x00"]  # ... marks nothing (no token holds a NUL): the snippet is the start of the text
        last = len(words) - 1
        self.whole, self.prefix = set(words[:last]) | {words[last]}, words[last]
        alternatives = "|".join(map(re.escape, sorted(self.whole, key=len, reverse=True)))
        # Case-insensitive matching of a word outside ASCII is not always lower-casing ("ı" matches "I"): walk.
        self._first = (
            None
            if not all(map(str.isascii, words))
            else re.compile(
                rf"(?<![^\W_])(?:(?:{alternatives})(?![^\W_])|{re.escape(self.prefix)}[^\W_]*)", re.IGNORECASE
            )
        )

    def matches(self, token: str) -> bool:
        folded = token.lower() if token.isascii() else "".join(terms(token))
        return folded in self.whole or folded.startswith(self.prefix)

    def __call__(self, body: str) -> str:
        return self._fast(body) or self._walk(body)

    def _fast(self, body: str) -> str | None:
        """The snippet cut by regular expressions, only the tokens with letters outside ASCII folded one by one;
        None where only the walk can cut it (the words before the first match too far back to find cheaply)."""
        if self._first is None:
            return None
        at = self._first_at(body)
        if at is None:
            first = _SPAN.search(body)
            if first is None:
                return body
            start, cut_before = first.start(), False
        else:
            low = max(0, at - _LOOK_BACK)
            start = at - _TWO_BEFORE.match(body[low:at][::-1]).end()  # type: ignore[union-attr]
            # A word before those two in the stretch looked at means they are whole, and the text is cut before
            # them; none, and the stretch began past the start of the text: they may not be whole, walk.
            cut_before = _SPAN.search(body, low, start) is not None
            if low > 0 and not cut_before:
                return None
        end = _WINDOW.match(body, start).end()  # type: ignore[union-attr]
        if _NON_ASCII_WORD.search(body, start, end) is not None:
            return self._cut(body, list(_SPAN.finditer(body, start, end)), cut_before)
        marked: list[str] = []
        position = start
        for match in self._first.finditer(body, start, end):
            marked += (body[position : match.start()], OPEN, match.group(), CLOSE)
            position = match.end()
        marked.append(body[position:end])
        after = "…" if _SPAN.search(body, end) else body[end:]
        return ("…" if cut_before else body[:start]) + "".join(marked) + after

    def _first_at(self, body: str) -> int | None:
        """Where the first token that matches starts, None if none does: the first ASCII one that matches, unless a
        token before it with a letter outside ASCII (few in most text), folded, matches."""
        at = self._first_ascii(body)
        position, stop = 0, len(body) if at is None else at
        while (other := _NON_ASCII_WORD.search(body, position, stop)) is not None:
            start = other.start()
            while start > 0 and _SPAN.match(body, start - 1):
                start -= 1
            token = _SPAN.match(body, start)
            assert token is not None
            if self.matches(token.group()):
                return start
            position = token.end()
        return at

    def _first_ascii(self, body: str) -> int | None:
        """Where the first ASCII token that matches starts, None if none does: each word found by ``str.find`` in
        the lower-cased text (a regular expression over long text is several times slower), where lower-casing
        keeps every offset; else by the regular expression."""
        lowered = body.lower()
        if len(lowered) != len(body):  # a letter that lower-cases to two ("İ"): offsets move
            assert self._first is not None
            # Each match is one whole token (the pattern's look-behind); one with a letter outside ASCII (the
            # Kelvin sign's K) is left to the folding.
            return next((found.start() for found in self._first.finditer(body) if found.group().isascii()), None)
        at = len(body)
        for word in self.whole:  # the prefix included
            found = lowered.find(word, 0, at)
            while found != -1:
                token = _SPAN.match(body, found)
                starts = found == 0 or not _SPAN.match(body, found - 1)  # a token's start, not inside one
                if starts and token and token.group().isascii() and self.matches(token.group()):
                    at = found
                    break
                found = lowered.find(word, found + 1, at)
        return at if at < len(body) else None

    def _walk(self, body: str) -> str:
        """The snippet cut token by token, each folded as the index folds it: any text."""
        spans: list[re.Match[str]] = []
        first = None
        for span in _SPAN.finditer(body):
            spans.append(span)
            if first is None and self.matches(span.group()):
                first = len(spans) - 1
            if first is not None and len(spans) >= max(first - 2, 0) + SNIPPET_WORDS:
                break
        start = max(0, (first or 0) - 2)
        return self._cut(body, spans[start : start + SNIPPET_WORDS], start > 0)

    def _cut(self, body: str, window: list[re.Match[str]], cut_before: bool) -> str:
        """The snippet of ``window`` (consecutive tokens of ``body``), its matches marked."""
        if not window:
            return body
        out, position = [], window[0].start()
        for span in window:
            out.append(body[position : span.start()])
            token = span.group()
            out.append(f"{OPEN}{token}{CLOSE}" if self.matches(token) else token)
            position = span.end()
        end = window[-1].end()
        cut_start = "…" if cut_before else body[: window[0].start()]
        rest = body[end:]
        cut_end = "…" if _SPAN.search(rest) else rest
        return cut_start + "".join(out) + cut_end


# ts_rank's weights are for D, C, B, A: the label is A, the body B, the people's names C.
_RANK_WEIGHTS: Any = literal_column(f"'{{0, {NAMES_WEIGHT / LABEL_WEIGHT}, {1 / LABEL_WEIGHT}, 1}}'::float4[]")
_HEADLINE_OPTIONS = (
    f'StartSel="{OPEN}", StopSel="{CLOSE}", MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, ShortWord=0'
)


def _search_postgresql(text: str) -> Select[Any] | None:
    query = tsquery(text)
    if query is None:
        return None
    tsq = func.to_tsquery(literal_column("'simple'"), query)
    return (
        select(
            SEARCH_INDEX.c.kind,
            SEARCH_INDEX.c.id,
            SEARCH_INDEX.c.label,
            # PostgreSQL computes this costly column only for the rows that survive ORDER BY ... LIMIT.
            func.ts_headline(
                literal_column("'article_facts'::regconfig"), SEARCH_INDEX.c.body, tsq, _HEADLINE_OPTIONS
            ).label("snippet"),
        )
        .where(SEARCH_INDEX.c.document.bool_op("@@")(tsq))
        .order_by(func.ts_rank(_RANK_WEIGHTS, SEARCH_INDEX.c.document, tsq).desc(), SEARCH_INDEX.c.id)
    )


def people(rows: Iterable[Any]) -> dict[tuple[str, str], str]:
    """(kind, id) -> the names and aliases of the people a fact is by, for or with (a quote's speaker; a pledge's
    donor, announcer and recipients; an event's participants), from a data set's rows (``Dataset.rows``)."""
    names: dict[str, list[str]] = {}
    aliases: dict[str, list[str]] = defaultdict(list)
    who: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for row in rows:
        if isinstance(row, Entity):
            names[row.id] = [row.name]
        elif isinstance(row, EntityAlias):
            aliases[row.entity_id].append(row.alias)
        elif isinstance(row, Quote):
            who["quote", row.id].append(row.speaker_id)
        elif isinstance(row, Pledge):
            who["pledge", row.id] += [row.donor_id, row.announced_by_id]
        elif isinstance(row, PledgeRecipient):
            who["pledge", row.pledge_id].append(row.entity_id)
        elif isinstance(row, EventParticipant):
            who["event", row.event_id].append(row.entity_id)
    for entity_id, name in names.items():
        # An alias inside the name ("Tokayev" in "Kassym-Jomart Tokayev") would count that word twice.
        name += [alias for alias in aliases[entity_id] if fold(alias) not in fold(name[0])]
    return {
        key: " ".join(n for entity_id in dict.fromkeys(filter(None, ids)) for n in names.get(entity_id, []))
        for key, ids in who.items()
    }


def index_rows(
    dialect: str, docs: Iterable[Any], people: dict[tuple[str, str], str]
) -> tuple[Any, list[dict[str, str]]]:
    """The statement and parameters that write ``docs`` (``SearchDoc``s) into the full-text index of ``dialect``,
    each with the names of its ``people`` (see ``people``)."""
    rows = [
        {"kind": d.kind, "id": d.id, "label": d.label, "body": d.body, "names": people.get((d.kind, d.id), "")}
        for d in docs
    ]
    if dialect != "postgresql":
        return text(
            "INSERT INTO search_index (rowid, kind, id, label, body, names) "
            f"VALUES ({search_rowid(':kind', ':id')}, :kind, :id, :label, :body, :names)"
        ), rows
    for row in rows:
        for key in ("label", "body", "names"):
            row[f"{key}_terms"] = " ".join(terms(row[key]))
    statement = text(
        "INSERT INTO search_index (kind, id, label, body, names, document) VALUES (:kind, :id, :label, :body, "
        ":names, setweight(to_tsvector('simple', :label_terms), 'A') || "
        "setweight(to_tsvector('simple', :body_terms), 'B') || setweight(to_tsvector('simple', :names_terms), 'C'))"
    )
    return statement, rows
