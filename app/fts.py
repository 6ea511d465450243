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


def search(connection: Connection, text: str, kinds: Iterable[str] | None, limit: int) -> Select[Any] | None:
    """Ranked hits for ``text``: rows of (kind, id, label, snippet), best first; the snippet marks matches with
    ``OPEN``/``CLOSE`` and is not yet escaped. None when ``text`` has no words."""
    postgresql = connection.dialect.name == "postgresql"
    statement = _search_postgresql(text) if postgresql else _search_sqlite(text)
    if statement is None:
        return None
    if kinds:
        statement = statement.where(SEARCH_INDEX.c.kind.in_(list(kinds)))
    return statement.limit(limit)


def _search_sqlite(text: str) -> Select[Any] | None:
    query = fts5_query(text)
    if query is None:
        return None
    index: Any = literal_column("search_index")
    return (
        select(
            SEARCH_INDEX.c.kind,
            SEARCH_INDEX.c.id,
            SEARCH_INDEX.c.label,
            func.snippet(index, 3, OPEN, CLOSE, "…", SNIPPET_WORDS).label("snippet"),
        )
        .where(index.op("MATCH")(query))
        .order_by(func.bm25(index, 0.0, 0.0, LABEL_WEIGHT, 1.0), SEARCH_INDEX.c.id)
    )


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
