"""What compiling gives back: a ``Dataset`` (rows, ``SearchDoc``s and the ``seeds_version``), or a ``SeedError``
listing every ``Problem``."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import SQLModel

# --- Problems ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    fact: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.fact}: {self.message}"


@dataclass
class Source:
    """Where a fact was written, so a problem can point at its line."""

    file: str
    node: Any
    fact: str


class SeedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the seeds")
        self.problems = problems


# --- The result ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchDoc:
    kind: str
    id: str
    label: str
    body: str


@dataclass
class Dataset:
    version: str
    rows: list[SQLModel] = field(default_factory=list)
    search: list[SearchDoc] = field(default_factory=list)
    drafts: list[Problem] = field(default_factory=list)  # `draft: true` facts, still to review
    hashes: dict[str, str] = field(default_factory=dict)  # part of the seeds -> hash of its files (``seed_parts``)
    # part of the seeds compiled -> the article it defines (None: the registry) and its entities, in order
    parts: dict[str, tuple[str | None, list[str]]] = field(default_factory=dict)

    def count(self, table: type[SQLModel]) -> int:
        return sum(isinstance(row, table) for row in self.rows)


def seeds_version(root: Path) -> str:
    """A hash of every seed file that feeds the database (paths and bytes), so the same seeds -> same version."""
    return seed_parts(root)[0]


@dataclass(frozen=True)
class Known:
    """What a partial compile (``compile_seeds(only=...)``) takes as given from the parts it does not read: the
    ids each of them defines (kind -> id -> the part's name) and the article each local entity belongs to."""

    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    entity_scope: dict[str, str] = field(default_factory=dict)


def part_of(relative: str) -> str:
    """The part of the seeds a file belongs to: its article's folder (``articles/<folder>``), or itself."""
    steps = relative.split("/")
    return "/".join(steps[:2]) if steps[0] == "articles" and len(steps) > 2 else relative


def seed_parts(root: Path) -> tuple[str, dict[str, str]]:
    """The dataset version (``seeds_version``) and a hash of each part's files (``part_of``), read in one pass:
    what a load compares with the hashes stored by the last one to see which parts changed."""
    digest = hashlib.sha256()
    parts: dict[str, Any] = {}
    for path in seed_files(root):
        relative = path.relative_to(root).as_posix()
        data = relative.encode() + b"\0" + path.read_bytes() + b"\0"
        digest.update(data)
        parts.setdefault(part_of(relative), hashlib.sha256()).update(data)
    return digest.hexdigest()[:16], {name: part.hexdigest() for name, part in parts.items()}


def seed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml", ".txt"})
