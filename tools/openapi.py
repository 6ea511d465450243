"""Write the app's OpenAPI document, as `/openapi.json` serves it, to a file: for the linters (make lint-openapi)
and the generated TypeScript types. Built on the seeds loaded into a throw-away database, so its examples are
the real ones, exactly as a server started from the seeds shows them.

    python -m tools.openapi OUT.json
"""

import argparse
import tempfile
from pathlib import Path

import orjson

from app.loader import load
from app.main import create_app
from app.settings import PROJECT_ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the JSON document")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "facts.sqlite3"
        load(PROJECT_ROOT / "seeds", target)
        document = create_app(target).openapi()
    args.out.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


if __name__ == "__main__":
    main()
