"""The house rules that keep the layout easy to change, checked in a fresh interpreter (what really gets imported).

- The load path (seeds -> rows -> documents) never imports the web routers.
- Serving SQLite needs only the runtime lock: neither the PostgreSQL driver nor a tool's dependency is imported,
  and the service never imports ``tools/``.
- A PostgreSQL URL without the driver installed is a clear error, not an import traceback.
- No module of the service grows past a size a reader can hold (``MAX_LINES``).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.backend import MissingDriver, backend_for
from app.settings import PROJECT_ROOT

LOAD_PATH = ["app.loader", "app.seeds", "app.render", "app.resources", "app.schemas", "app.models"]
SERVING = ["app.cli", "app.main", "app.loader"]
MAX_LINES = 400


def imported_by(modules: list[str], then: str = "") -> list[str]:
    """Every module a fresh interpreter has loaded after importing ``modules`` (and running ``then``)."""
    code = f"import sys, json\nimport {', '.join(modules)}\n{then}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_the_load_path_imports_no_router() -> None:
    loaded = imported_by(LOAD_PATH)
    assert "app.loader" in loaded
    assert [name for name in loaded if name.startswith("app.routers")] == []


def test_serving_sqlite_imports_no_driver_or_tool(tmp_path: Path) -> None:
    loaded = imported_by(SERVING, then=f"app.main.create_app(__import__('pathlib').Path({str(tmp_path)!r}))")
    assert "app.main" in loaded
    assert [name for name in loaded if name.split(".")[0] in {"psycopg", "tqdm", "tools"}] == []
    assert [name for name in loaded if name.startswith("app.drafting")] == []  # `article-facts new` only


def test_a_postgresql_url_without_its_driver_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an environment without the extra looks like
    monkeypatch.delitem(sys.modules, "app.postgres", raising=False)
    with pytest.raises(MissingDriver, match=r"pip install 'psycopg\[binary\]' \(the `postgres` extra"):
        backend_for("postgresql://reader@127.0.0.1/facts")


@pytest.mark.parametrize(
    "module", sorted((PROJECT_ROOT / "app").rglob("*.py")), ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_no_module_is_too_long_to_read(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module.name} has {lines} lines: split it by concern (see app/seeds/ for an example)"
