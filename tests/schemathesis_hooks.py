"""Hooks for the Schemathesis CLI run against a live server (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``): the
rules of tests/amount_rule.py (amounts, facets) and tests/id_rule.py, applied to every case of every phase. The ids that exist are
read from the database the server serves (``ARTICLE_FACTS_DB``, set by .ci/live-schemathesis).
"""

import os
from functools import cache
from pathlib import Path

import schemathesis

from tests.amount_rule import follow_rules
from tests.id_rule import Ids, existing_ids, with_existing_ids


@cache
def ids() -> Ids:
    return existing_ids(Path(os.environ["ARTICLE_FACTS_DB"]))


@schemathesis.hook
def map_case(_context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    case.query = with_existing_ids(case.operation.path, follow_rules(case.query), ids())
    return case
