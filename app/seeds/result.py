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

    def count(self, table: type[SQLModel]) -> int:
        return sum(isinstance(row, table) for row in self.rows)


def seeds_version(root: Path) -> str:
    """A hash of every seed file that feeds the database (paths and bytes), so the same seeds -> same version."""
    digest = hashlib.sha256()
    for path in seed_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def seed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml", ".txt"})
