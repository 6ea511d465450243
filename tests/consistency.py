"""What every loaded corpus must keep, whoever curated it: each check returns the problems it finds (none is
right). Run on the suite's own corpus (tests/test_curation.py) and on the curated seeds/ (tests/test_seeds.py).
"""

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from app.dates import period
from app.seeds import parse_amount

DATED = {"article": "published_on", "quote": "said_on", "pledge": "announced_on", "event": "date"}


def _rows(connection: Connection, sql: str) -> list[Any]:
    return list(connection.execute(sa.text(sql)))


def spans_are_their_slices(connection: Connection) -> list[str]:
    """Every evidence span and mention is exactly ``article.text[start:end]``, inside the title line or the body."""
    problems = []
    articles = {row.id: row for row in _rows(connection, "SELECT id, text, body_start, body_end FROM article")}
    for table in ("evidence", "mention"):
        for row in _rows(connection, f'SELECT article_id, start, "end", text FROM {table}'):
            article = articles[row.article_id]
            where = f"{table} {row.article_id}[{row.start}:{row.end}]"
            if not 0 <= row.start < row.end <= len(article.text) or article.text[row.start : row.end] != row.text:
                problems.append(f"{where} is not {row.text!r}")
            title_end = article.text.index("\n")
            if not (row.end <= title_end or (article.body_start <= row.start and row.end <= article.body_end)):
                problems.append(f"{where} is outside the title and the body")
    return problems


def amounts_are_their_words(connection: Connection) -> list[str]:
    """Every amount is what its evidence says, in minor units of its currency."""
    rows = _rows(
        connection,
        "SELECT p.id, p.amount_minor, p.currency, p.amount_text, e.text AS evidence FROM pledge p JOIN evidence e"
        " ON e.subject_type = 'pledge' AND e.subject_id = p.id AND e.role = 'amount'",
    )
    problems = [
        f"{row.id}: stored {row.amount_text!r}, evidence {row.evidence!r}"
        for row in rows
        if row.amount_text != row.evidence
    ]
    problems += [
        f"{row.id}: {row.evidence!r} is not {row.amount_minor} minor units of {row.currency}"
        for row in rows
        if parse_amount(row.evidence, row.currency) != row.amount_minor
    ]
    with_amount = _rows(connection, "SELECT count(*) AS n FROM pledge WHERE amount_minor IS NOT NULL")[0].n
    if with_amount != len(rows):
        problems.append(f"{with_amount} pledges have an amount, {len(rows)} have its evidence")
    return problems


def dates_are_consistent(connection: Connection) -> list[str]:
    """Every date object lies within its period, its bounds are ordered and stored as the filterable columns."""
    problems = []
    for table, column in DATED.items():
        for row in _rows(
            connection, f"SELECT id, {column} AS obj, {column}_earliest AS lo, {column}_latest AS hi FROM {table}"
        ):
            obj = json.loads(row.obj) if isinstance(row.obj, str) else row.obj
            lo, hi = (v if isinstance(v, dt.date) else dt.date.fromisoformat(v) for v in (row.lo, row.hi))
            where = f"{table} {row.id}"
            if lo > hi:
                problems.append(f"{where}: earliest {lo} after latest {hi}")
            if obj["value"] is not None:
                first, last = period(obj["value"], obj["precision"])
                if not first <= lo <= hi <= last:
                    problems.append(f"{where}: {lo}..{hi} is outside {obj['value']}")
            if obj["inferred"] and not obj["basis"]:
                problems.append(f"{where}: inferred without a basis")
            for bound, stored in (("earliest", lo), ("latest", hi)):
                if obj[bound] is not None and dt.date.fromisoformat(obj[bound]) != stored:
                    problems.append(f"{where}: {bound} {obj[bound]} stored as {stored}")
    return problems


CHECKS = (spans_are_their_slices, amounts_are_their_words, dates_are_consistent)
