"""The ``article-facts`` command: check the seeds, load them into a database, or serve the API."""

import argparse
import sys
from pathlib import Path

from app.backend import LoadError, MissingDriver, Target, backend_for
from app.loader import load_changes, needs_build
from app.seeds import SeedError, compile_seeds
from app.seeds.sha import write_sha256
from app.settings import get_settings

DB_HELP = "SQLite file or PostgreSQL URL (env ARTICLE_FACTS_DB or DATABASE_URL)"


def database(value: str) -> Target:
    """``--db``: a SQLite file, or a PostgreSQL URL (anything with ``://``)."""
    return value if "://" in value else Path(value)


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="article-facts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate the seeds; write nothing")
    check.add_argument("seeds", nargs="?", type=Path, default=settings.seeds)
    check.add_argument(
        "--write-sha",
        action="store_true",
        help="first write each article.txt's sha256 into its article.yaml (nothing else in the file changes)",
    )

    new = commands.add_parser("new", help="draft a seed folder for a new article, every fact marked for review")
    new.add_argument("text", type=Path, metavar="ARTICLE_TXT", help="the article's text, copied byte for byte")
    new.add_argument("--id", required=True, help="the new article's id (a slug)")
    new.add_argument("--published-on", required=True, metavar="YYYY-MM-DD", help="its publication day")
    new.add_argument("--publisher", metavar="ENTITY", help="the publisher's entity id (default: guessed)")
    new.add_argument("--seeds", type=Path, default=settings.seeds, help="seed folder (env ARTICLE_FACTS_SEEDS)")

    load_cmd = commands.add_parser(
        "load", help="validate the seeds and atomically update the database: only what changed, when it can"
    )
    load_cmd.add_argument("seeds", nargs="?", type=Path, default=settings.seeds)
    load_cmd.add_argument("--db", type=database, default=settings.target(), help=DB_HELP)
    load_cmd.add_argument(
        "--allow-shrink",
        action="store_true",
        help="replace the database even if the new data has less than half of some kind of fact it holds",
    )
    load_cmd.add_argument(
        "--allow-drafts", action="store_true", help="load facts still marked `draft: true` (unreviewed drafts)"
    )
    load_cmd.add_argument(
        "--full", action="store_true", help="rebuild everything, even if only some articles changed since the last load"
    )

    serve = commands.add_parser("serve", help="build the database if missing or stale, then serve the API")
    serve.add_argument("--db", type=database, default=settings.target(), help=DB_HELP)
    serve.add_argument("--seeds", type=Path, default=settings.seeds, help="seed folder (env ARTICLE_FACTS_SEEDS)")
    serve.add_argument(
        "--no-build",
        action="store_true",
        help="never build or rebuild the database: a missing or stale one is an error (read-only deployments)",
    )
    serve.add_argument("--host", default=settings.host, help="address to bind (env ARTICLE_FACTS_HOST)")
    serve.add_argument("--port", type=int, default=settings.port, help="port to bind (env ARTICLE_FACTS_PORT)")
    serve.add_argument(
        "--graceful-shutdown",
        type=int,
        default=settings.graceful_shutdown_s,
        metavar="SECONDS",
        help="on SIGTERM, stop accepting connections and let running requests finish for at most this long "
        "(env ARTICLE_FACTS_GRACEFUL_SHUTDOWN_S)",
    )

    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            if args.write_sha:
                for path in write_sha256(args.seeds):
                    print(f"{path}: sha256 written")
            dataset = compile_seeds(args.seeds)
            for draft in dataset.drafts:
                print(draft)
            drafts = f", {len(dataset.drafts)} draft(s) to review" if dataset.drafts else ""
            print(f"{args.seeds}: ok, {len(dataset.rows)} rows{drafts}, dataset version {dataset.version}")
        elif args.command == "new":
            return _new(args)
        elif args.command == "load":
            loaded = load_changes(args.seeds, args.db, args.allow_shrink, args.allow_drafts, full=args.full)
            print(loaded.report)  # what was done, then the line scripts read the new version from
            print(f"loaded {backend_for(args.db).describe()}: dataset version {loaded.version}")
        else:
            return _serve(args)
    except SeedError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    except LoadError as exc:
        print(f"load failed, nothing was written: {exc}", file=sys.stderr)
        return 1
    except MissingDriver as exc:
        print(f"article-facts {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _new(args: argparse.Namespace) -> int:
    from app.drafting.write import new_article  # a curation tool: never imported when serving

    try:
        written = new_article(args.text, args.seeds, args.id, args.published_on, args.publisher)
    except ValueError as exc:
        print(f"article-facts new: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    dataset = compile_seeds(args.seeds)  # SeedError: the draft needs fixing before check accepts it
    mine = [d for d in dataset.drafts if f"/{args.id}/" in f"/{d.file}"]
    print(f"{args.seeds}: ok; {len(mine)} draft(s) to review, then delete `draft: true` from each")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from app.middleware import AnswerCutOffRequests

    where = backend_for(args.db).describe()
    stale = needs_build(args.seeds, args.db)
    if stale and args.no_build:
        print(
            f"article-facts serve: cannot serve {where}: {stale}; build it with `article-facts load`", file=sys.stderr
        )
        return 1
    if stale:
        try:
            loaded = load_changes(args.seeds, args.db)  # only what changed, when it can (``app/incremental.py``)
        except PermissionError as exc:  # e.g. a read-only image: say what to do, not a traceback
            print(
                f"article-facts serve: {where} must be rebuilt ({stale}), but {exc.filename} is not writable; "
                "build it with `article-facts load` where it can be written, or serve with --no-build",
                file=sys.stderr,
            )
            return 1
        print(f"built {where} ({stale}): dataset version {loaded.version}; {loaded.report}", file=sys.stderr)
    # On SIGTERM uvicorn closes its listening socket at once (new connections are refused), lets running
    # requests finish for up to the grace period, then cancels what is left and exits.
    uvicorn.run(
        AnswerCutOffRequests(create_app(args.db)),
        host=args.host,
        port=args.port,
        # asyncio's own loop: with more connections than the lanes serve at once, uvloop left some requests
        # waiting seconds (p99 0.9-1 s at 64 connections, against 46 ms on this loop, at the same rate); see
        # docs/performance.md, "Fair under load"
        loop="asyncio",
        http="httptools",
        access_log=False,
        timeout_graceful_shutdown=args.graceful_shutdown,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
