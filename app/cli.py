"""The ``article-facts`` command: check the seeds, load them into a database, serve the API, or build a synthetic
corpus of any size (``synth``, for benchmarks and scale tests)."""

import argparse
import sys
import time
from pathlib import Path

from app.loader import LoadError, load, needs_build
from app.seeds import SeedError, compile_seeds
from app.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="article-facts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate the seeds; write nothing")
    check.add_argument("seeds", nargs="?", type=Path, default=settings.seeds)

    load_cmd = commands.add_parser("load", help="validate the seeds and atomically rebuild the database")
    load_cmd.add_argument("seeds", nargs="?", type=Path, default=settings.seeds)
    load_cmd.add_argument("--db", type=Path, default=settings.db, help="database file (env ARTICLE_FACTS_DB)")

    serve = commands.add_parser("serve", help="build the database if missing or stale, then serve the API")
    serve.add_argument("--db", type=Path, default=settings.db, help="database file (env ARTICLE_FACTS_DB)")
    serve.add_argument("--seeds", type=Path, default=settings.seeds, help="seed folder (env ARTICLE_FACTS_SEEDS)")
    serve.add_argument("--host", default=settings.host, help="address to bind (env ARTICLE_FACTS_HOST)")
    serve.add_argument("--port", type=int, default=settings.port, help="port to bind (env ARTICLE_FACTS_PORT)")

    synth_cmd = commands.add_parser("synth", help="build a synthetic corpus of N quotes (benchmarks, scale tests)")
    synth_cmd.add_argument("--quotes", type=int, required=True, help="number of quotes, e.g. 1000000")
    synth_cmd.add_argument("--db", type=Path, required=True, help="database file to (atomically) replace")
    synth_cmd.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same data")

    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            dataset = compile_seeds(args.seeds)
            print(f"{args.seeds}: ok, {len(dataset.rows)} rows, dataset version {dataset.version}")
        elif args.command == "load":
            dataset = load(args.seeds, args.db)
            print(f"loaded {args.db}: dataset version {dataset.version}")
        elif args.command == "synth":
            return _synth(args)
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


def _synth(args: argparse.Namespace) -> int:
    from app.synth import synth

    if args.quotes < 1:
        print("--quotes must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    version = synth(args.db, args.quotes, args.seed)
    size = args.db.stat().st_size / 2**20
    print(
        f"built {args.db}: {args.quotes} quotes, seed {args.seed}, dataset version {version}, "
        f"{size:.1f} MiB in {time.perf_counter() - started:.1f} s"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    if needs_build(args.seeds, args.db):
        dataset = load(args.seeds, args.db)
        print(f"built {args.db}: dataset version {dataset.version}", file=sys.stderr)
    uvicorn.run(create_app(args.db), host=args.host, port=args.port, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
