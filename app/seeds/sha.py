"""``article-facts check --write-sha``: each article's sha256 written into its ``article.yaml``, nothing else
touched (comments, order, quoting and line endings stay byte for byte)."""

import hashlib
import re
from pathlib import Path

_SHA_LINE = re.compile(r"^sha256:[ \t]*(?P<value>[^\s#]*)", re.MULTILINE)
_ID_LINE = re.compile(r"^id:.*(?:\r?\n|$)", re.MULTILINE)


def write_sha256(root: Path) -> list[Path]:
    """Fill or fix the ``sha256:`` of every article under ``root`` from its ``article.txt``; the files changed."""
    changed = []
    for path in sorted((root / "articles").glob("*/article.yaml")):
        text_file = path.parent / "article.txt"
        if not text_file.is_file():
            continue  # check reports the missing text
        digest = hashlib.sha256(text_file.read_bytes()).hexdigest()
        source = path.read_bytes().decode("utf-8")
        match = _SHA_LINE.search(source)
        if match:
            updated = source[: match.start("value")] + digest + source[match.end("value") :]
        else:  # no sha256 yet: under the id, where the format shows it
            after_id = _ID_LINE.search(source)
            at = after_id.end() if after_id else 0
            newline = "\r\n" if "\r\n" in source else "\n"
            prefix = source[:at] if not after_id or after_id[0].endswith("\n") else source[:at] + newline
            updated = prefix + f"sha256: {digest}{newline}" + source[at:]
        if updated != source:
            path.write_bytes(updated.encode("utf-8"))
            changed.append(path)
    return changed
