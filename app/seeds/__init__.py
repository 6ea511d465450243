"""Seed files -> validated rows. Reads ``seeds/``, checks everything, reports every problem with its line.

The format is documented in ``seeds/README.md``. ``compile_seeds`` is the only entry point: it returns the
rows to load (table rows and full-text documents), or raises SeedError with every problem
(``file:line: fact-id: what is wrong``).

Map of this package, in reading order:
- ``lines``: YAML with line numbers (``_LineLoader``, ``line_of``, ``read_mapping``); ``yamlerrors`` says what a
  YAML syntax error is, in plain words, at the line where it starts;
- ``shapes``: the shapes curators write (``EntityIn``, ``QuoteIn``, ... with ``extra="forbid"``);
- ``money``: amounts (``parse_amount``);
- ``result``: what compiling gives back (``Dataset``, ``SearchDoc``, ``Problem``, ``SeedError``), the
  dataset version (``seeds_version``) with a hash of each part of the seeds (``seed_parts``, for incremental loads),
  and what a partial compile takes as given (``Known``);
- ``checks``: ``_Checks``, the compiler's state and the checks every fact shares (reporting, validation, ids,
  references, evidence, dates);
- ``facts``: ``_Facts``, an article's mentions, events, quotes and pledges; each ``add_*`` builds the table rows
  and the ``SearchDoc`` of one fact;
- ``compiler``: ``_Compiler`` and ``compile_seeds``: entities -> each article (text, evidence, dates) -> its
  mentions -> its events, quotes and pledges -> references checked last;
- ``sha``: ``write_sha256``, what ``article-facts check --write-sha`` does first.

Drafting a new article (``article-facts new``) is ``app.drafting``, built on these; serving never imports it.
"""

from app.seeds.compiler import compile_seeds
from app.seeds.money import minor_exponent, parse_amount
from app.seeds.result import (
    Dataset,
    Known,
    Problem,
    SearchDoc,
    SeedError,
    part_of,
    seed_files,
    seed_parts,
    seeds_version,
)

__all__ = [
    "Dataset",
    "Known",
    "Problem",
    "SearchDoc",
    "SeedError",
    "compile_seeds",
    "minor_exponent",
    "parse_amount",
    "part_of",
    "seed_files",
    "seed_parts",
    "seeds_version",
]
