"""The ``article-facts`` command: check the seeds, load them into a database, or serve the API."""

import argparse
import asyncio
import sys
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.backend import Target, describe
from app.loader import LoadError, load, needs_build
from app.problems import ProblemError, log
from app.seeds import SeedError, compile_seeds
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

    load_cmd = commands.add_parser("load", help="validate the seeds and atomically rebuild the database")
    load_cmd.add_argument("seeds", nargs="?", type=Path, default=settings.seeds)
    load_cmd.add_argument("--db", type=database, default=settings.target(), help=DB_HELP)
    load_cmd.add_argument(
        "--allow-shrink",
        action="store_true",
        help="replace the database even if the new data has less than half of some kind of fact it holds",
    )

    serve = commands.add_parser("serve", help="build the database if missing or stale, then serve the API")
    serve.add_argument("--db", type=database, default=settings.target(), help=DB_HELP)
    serve.add_argument("--seeds", type=Path, default=settings.seeds, help="seed folder (env ARTICLE_FACTS_SEEDS)")
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
            dataset = compile_seeds(args.seeds)
            print(f"{args.seeds}: ok, {len(dataset.rows)} rows, dataset version {dataset.version}")
        elif args.command == "load":
            dataset = load(args.seeds, args.db, allow_shrink=args.allow_shrink)
            print(f"loaded {describe(args.db)}: dataset version {dataset.version}")
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
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    if needs_build(args.seeds, args.db):
        dataset = load(args.seeds, args.db)
        print(f"built {describe(args.db)}: dataset version {dataset.version}", file=sys.stderr)
    # On SIGTERM uvicorn closes its listening socket at once (new connections are refused), lets running
    # requests finish for up to the grace period, then cancels what is left and exits.
    uvicorn.run(
        AnswerCutOffRequests(create_app(args.db)),
        host=args.host,
        port=args.port,
        access_log=False,
        timeout_graceful_shutdown=args.graceful_shutdown,
    )
    return 0


class AnswerCutOffRequests:
    """A request still running when the shutdown grace period ends is cancelled; answer it 503 with Retry-After.

    uvicorn would answer it a bare 500, but nothing went wrong with the request: the client may simply retry,
    against this service once it is back or against another instance.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except asyncio.CancelledError:
            # The request's own task, cancelled by uvicorn, which does not wait for it: it may end here, quietly
            # (uvicorn has logged the cancellation) rather than with a traceback for an expected event.
            log.warning("cut off by the end of the shutdown grace period: %s %s", scope["method"], scope["path"])
            if not started:
                problem = ProblemError(503, "The server is shutting down; try again.", headers={"Retry-After": "5"})
                await problem.response()(scope, receive, send)


if __name__ == "__main__":
    sys.exit(main())
