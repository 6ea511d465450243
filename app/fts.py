"""Full-text search with one meaning on both backends: SQLite's FTS5 and PostgreSQL's tsvector.

What a query means: plain text, matched case-, accent- and typography-insensitively, every word required, the last
one as a prefix, a match in the label (a name or title) weighing more than one in the body; nothing the user types
is ever syntax. Each backend's SQL lives here, behind ``matching_ids`` (the ``q`` filter of a list), ``search``
(ranked hits with snippets) and ``index_rows`` (what the loader writes).

SQLite's ``unicode61`` tokenizer splits text into runs of letters and digits, folds case and drops diacritics.
PostgreSQL's own parser is cleverer (``U.S.`` is one token, ``2.5`` a number, URLs and hosts are kept whole), which
would change what matches. So on PostgreSQL the loader indexes the words as ``terms`` splits them — the same runs of
letters and digits, folded the same way — and the query goes through the same function: the ``simple`` text-search
configuration then only has whole, already folded words to see. Snippets are cut from the verbatim body by
``ts_headline`` with the ``article_facts`` configuration (``simple`` behind ``unaccent``), created by the migration.
"""

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Connection, Select, bindparam, column, func, literal_column, select, table, text

from app.evidence import fold

MAX_WORDS = 16
# A match in a name or title counts this many times one in the body text.
LABEL_WEIGHT = 5.0
# Control characters never occur in the indexed text, so they can mark matches before the text is escaped.
OPEN, CLOSE = "\x02", "\x03"
SNIPPET_WORDS = 16

SEARCH_INDEX = table("search_index", column("kind"), column("id"), column("label"), column("body"), column("document"))

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


def fts5_query(text: str) -> str | None:
    """Plain user text -> an FTS5 query: each word a quoted string, all required, the last one as a prefix."""
    words = query_words(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
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


def matching_ids(dialect: str) -> Any:
    """A subquery of the ids of kind ``:search_kind`` whose indexed text matches the query ``:q`` (see ``query``)."""
    if dialect == "postgresql":
        return select(SEARCH_INDEX.c.id).where(
            SEARCH_INDEX.c.document.bool_op("@@")(func.to_tsquery(literal_column("'simple'"), bindparam("q"))),
            SEARCH_INDEX.c.kind == bindparam("search_kind"),
        )
    return select(SEARCH_INDEX.c.id).where(
        literal_column("search_index").op("MATCH")(bindparam("q")), SEARCH_INDEX.c.kind == bindparam("search_kind")
    )


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
        sql = SQLITE_SEARCH.format(kinds="AND kind IN (SELECT value FROM json_each(?))" if kinds else "")
        kind_values = [orjson.dumps(kinds).decode()] if kinds else []
        rows = connection.exec_driver_sql(sql, (query, *kind_values, CANDIDATES, limit)).all()
        words = [term for word in query_words(text) for term in terms(word)]
        return [(kind, id_, label, snippet(body, words)) for kind, id_, label, body in rows]
    statement = _search_postgresql(text)
    if statement is None:
        return []
    if kinds:
        statement = statement.where(SEARCH_INDEX.c.kind.in_(kinds))
    return [(row.kind, row.id, row.label, row.snippet) for row in connection.execute(statement.limit(limit))]


# Ranking every match of a common word is what makes full-text search slow at scale: "minister" matches a
# hundred thousand of a million documents, and BM25 would score them all to return twenty. So BM25 ranks the
# first CANDIDATES matches in index order, which is load order: entities first, then each article with its events,
# quotes and pledges. A rarer word (fewer matches than that) is ranked over all its matches, exactly as before.
# The snippet is cut here from the hit's text: FTS5's snippet() would run the full-text query again for each hit.
CANDIDATES = 200
SQLITE_SEARCH = f"""
WITH candidates AS (
    SELECT rowid AS r, id, bm25(search_index, 0.0, 0.0, {LABEL_WEIGHT}, 1.0) AS score
    FROM search_index WHERE search_index MATCH ? {{kinds}} LIMIT ?
), best AS (
    SELECT r, id, score FROM candidates ORDER BY score, id LIMIT ?
)
SELECT kind, search_index.id, label, body
FROM best JOIN search_index ON search_index.rowid = best.r
ORDER BY best.score, best.id
"""
_SPAN = re.compile(r"[^\W_]+")


def snippet(body: str, words: list[str]) -> str:
    """About ``SNIPPET_WORDS`` words of ``body`` around its first match, matches between ``OPEN`` and ``CLOSE``,
    "…" where the text was cut. A token matches a query word when it folds to it (the last word: starts with it),
    as the full-text index matched it."""
    spans = list(_SPAN.finditer(body))
    last = len(words) - 1

    def matches(token: str) -> bool:
        folded = "".join(terms(token))
        return any(folded == word or (i == last and folded.startswith(word)) for i, word in enumerate(words))

    hits = [i for i, span in enumerate(spans) if matches(span.group())]
    if not spans:
        return body
    first = max(0, (hits[0] if hits else 0) - 2)
    window = spans[first : first + SNIPPET_WORDS]
    marked = set(hits)
    out, position = [], window[0].start()
    for i, span in enumerate(window, start=first):
        out.append(body[position : span.start()])
        token = span.group()
        out.append(f"{OPEN}{token}{CLOSE}" if i in marked else token)
        position = span.end()
    end = window[-1].end()
    cut_start = "…" if first > 0 else body[: window[0].start()]
    cut_end = "…" if first + SNIPPET_WORDS < len(spans) else body[end:]
    return cut_start + "".join(out) + cut_end


# ts_rank's weights are for D, C, B, A: the label is A, the body B.
_RANK_WEIGHTS: Any = literal_column(f"'{{0, 0, {1 / LABEL_WEIGHT}, 1}}'::float4[]")
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


def index_rows(dialect: str, docs: Iterable[Any]) -> tuple[Any, list[dict[str, str]]]:
    """The statement and parameters that write ``docs`` (``SearchDoc``s) into the full-text index of ``dialect``."""
    rows = [{"kind": d.kind, "id": d.id, "label": d.label, "body": d.body} for d in docs]
    if dialect != "postgresql":
        return text("INSERT INTO search_index (kind, id, label, body) VALUES (:kind, :id, :label, :body)"), rows
    for row in rows:
        row["label_terms"] = " ".join(terms(row["label"]))
        row["body_terms"] = " ".join(terms(row["body"]))
    statement = text(
        "INSERT INTO search_index (kind, id, label, body, document) VALUES (:kind, :id, :label, :body, "
        "setweight(to_tsvector('simple', :label_terms), 'A') || setweight(to_tsvector('simple', :body_terms), 'B'))"
    )
    return statement, rows
