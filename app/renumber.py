"""The numbers a full rebuild gives, given again after an incremental load (``app/incremental.py``).

A full load numbers the rows of some tables in the order it compiles them: the registry's entities with their
aliases and affiliations, then each article folder in name order with its local entities and the evidence of its
title, publisher and date, then each article folder again with its mentions and facts (their evidence, the
initiatives of its pledges), and the annotations article by article (by id), in reading order. An incremental
load deletes the rows of the parts it redoes and inserts their new ones after all the others; numbering each table
again by (phase, the part's place, the row's number) puts every row where a full rebuild puts it. A search row's
rowid is not a number of this kind: it follows from its fact's rowid (``app/matches.py``), whichever it is. Only
the rows whose number changes are written: none after an edit that adds or removes no row, the rows of the later
articles after one that does.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from app.matches import search_rowid

REGISTRY_RANK = -1
FOLLOWS = search_rowid("search_index.kind", "search_index.id")  # the rowid a search row's fact gives it


@dataclass
class Order:
    """Each part's place in a full load: the registry first, then the article folders by name."""

    article: dict[str, int]  # article id -> its folder's place
    entity: dict[str, int]  # entity id -> its part's place (REGISTRY_RANK for the registry)

    @classmethod
    def of(cls, parts: dict[str, tuple[str, str | None, list[str]]]) -> "Order":
        rank = {name: i for i, name in enumerate(sorted(n for n in parts if n.startswith("articles/")))}
        article = {a: rank[name] for name, (_, a, _) in parts.items() if a is not None}
        entity = {e: rank.get(name, REGISTRY_RANK) for name, (_, _, entities) in parts.items() for e in entities}
        return cls(article, entity)


def renumber(connection: Connection, table: str, key: str, rows: Iterable[tuple[int, Any]]) -> set[int]:
    """Number ``rows`` ((number, sort key)) of ``table`` 1, 2, ... in sort-key order; the new numbers of the rows
    that moved. In two steps, through negative numbers, so no two rows ever hold the same number."""
    ordered = sorted(rows, key=lambda row: row[1])
    return _move(connection, table, key, [(new, old) for new, (old, _) in enumerate(ordered, 1) if new != old])


def _move(connection: Connection, table: str, key: str, moves: list[tuple[int, int]]) -> set[int]:
    """Give each row of ``moves`` ((new, old)) its new number, in two steps through negative numbers, so no two
    rows ever hold the same number; the new numbers."""
    if moves:
        connection.exec_driver_sql(f"UPDATE {table} SET {key} = ? WHERE {key} = ?", [(-new, old) for new, old in moves])
        connection.exec_driver_sql(f"UPDATE {table} SET {key} = -{key} WHERE {key} < 0")
    return {new for new, _ in moves}


def _rows(connection: Connection, sql: str, key: Callable[..., Any]) -> list[tuple[int, Any]]:
    return [(row[0], key(*row)) for row in connection.exec_driver_sql(sql)]


def fact_articles(connection: Connection) -> dict[tuple[str, str], str]:
    """(kind, id) -> article, for every event, quote and pledge."""
    return {
        (kind, fact_id): article
        for kind in ("event", "quote", "pledge")
        for fact_id, article in connection.exec_driver_sql(f"SELECT id, article_id FROM {kind}")
    }


def renumber_rows(connection: Connection, order: Order) -> set[int]:
    """Number every numbered table but the annotations as a full rebuild does; the mentions whose number moved
    (a mention's number is in its document)."""
    owner, place = order.entity, order.article
    for table in ("entity_alias", "entity_affiliation"):
        renumber(
            connection, table, "id", _rows(connection, f"SELECT id, entity_id FROM {table}", lambda i, e: (owner[e], i))
        )
    moved = renumber(
        connection, "mention", "id", _rows(connection, "SELECT id, article_id FROM mention", lambda i, a: (place[a], i))
    )
    renumber(
        connection,
        "pledge_initiative",
        "id",
        _rows(
            connection,
            "SELECT pledge_initiative.id, pledge.article_id FROM pledge_initiative "
            "JOIN pledge ON pledge.id = pledge_initiative.pledge_id",
            lambda i, a: (place[a], i),
        ),
    )
    renumber(
        connection,
        "evidence",
        "id",
        _rows(
            connection,
            "SELECT id, article_id, subject_type FROM evidence",
            lambda i, a, kind: (kind != "article", place[a], i),
        ),
    )
    # A search row's rowid follows from its fact's (app/matches.py): set again for the facts inserted since.
    found = connection.exec_driver_sql(f"SELECT rowid, {FOLLOWS} FROM search_index")
    _move(connection, "search_index", "rowid", [(target, old) for old, target in found if target != old])
    return moved


def renumber_annotations(connection: Connection) -> None:
    renumber(
        connection,
        "annotation",
        "id",
        _rows(connection, "SELECT id, article_id FROM annotation", lambda i, a: (a, i)),
    )
