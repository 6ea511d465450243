"""Hooks for the Schemathesis CLI run against a live server (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``): the
rules of tests/amount_rule.py, applied to every case of every phase."""

import schemathesis

from tests.amount_rule import follow_rules


@schemathesis.hook
def map_case(_context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    case.query = follow_rules(case.query)
    return case
