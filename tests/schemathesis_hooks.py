"""Hooks for the Schemathesis CLI run against a live server (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``): the
rule of tests/amount_rule.py, applied to every case of every phase."""

import schemathesis

from tests.amount_rule import with_currency


@schemathesis.hook
def map_case(_context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    case.query = with_currency(case.query)
    return case
