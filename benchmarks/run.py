"""`make bench`: our API against Datasette serving the same SQLite file at its best, the floor and a ceiling.

One run builds (or reuses) synthetic databases of 1k and 1M quotes in ``data/bench/``, then, one server at a
time and each under the same ``uvicorn --host 127.0.0.1 --workers 1 --no-access-log --loop asyncio --http
httptools``, drives equivalent URLs with ``wrk -t2 -c32`` (warm-up, then a measured run), over several rounds
with the order of the servers rotated.
The servers: ours; Datasette configured as a performance-minded user would (``DATASETTE_BEST``: no count, no
facets, no suggestions, bare arrays without our stored columns; search as a canned FTS5 query), and, as a
labelled extra, Datasette's default table JSON; the floor (``floor.py``: the very statements our API runs, with
raw ``sqlite3`` and nothing else); the ceiling (``ceiling.py``: a fixed body). Then the starvation scenario of
``starvation.py`` on the largest database. It writes ``benchmarks/results/<date>-<commit>.md`` (and
``latest.md``), the raw figures as JSON, and a chart of the ratios (PNG, drawn by ``chart.py`` in ``.venv-bench``).

Run with the app's environment (``.venv/bin/python benchmarks/run.py [--quick]``); Datasette and matplotlib
come from ``.venv-bench`` (``make bench`` installs both, and Debian's wrk).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.cursors import encode_cursor  # noqa: E402
from tools.synth import COMMON_WORD, PREFIX, dataset_version, synth  # noqa: E402

DATA = ROOT / "data" / "bench"
RESULTS = ROOT / "benchmarks" / "results"
APP_BIN = Path(sys.executable).parent
BENCH_BIN = ROOT / ".venv-bench" / "bin"
SEED = 0
SIZES = {"1k": 1_000, "1M": 1_000_000}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# asyncio's own loop and httptools, as `article-facts serve` runs the app (docs/performance.md, "Why not uvloop")
UVICORN_FLAGS = ["--host", "127.0.0.1", "--no-access-log", "--loop", "asyncio", "--http", "httptools"]
CONNECTIONS, THREADS = 32, 2


@dataclass
class Mode:
    rounds: int
    warmup: int  # seconds of one-at-a-time requests before measuring: caches filled, nothing left queued
    measure: int  # seconds of wrk
    drain: int  # seconds to wait for the requests still queued when wrk stops; past that, restart the server
    startups: int  # times `article-facts serve` is started to time its first /healthz


FULL = Mode(rounds=3, warmup=3, measure=10, drain=30, startups=3)
QUICK = Mode(rounds=1, warmup=1, measure=5, drain=15, startups=1)

# Datasette at its best on a table page: no count of the filtered rows, no facets or facet suggestions, a bare JSON
# array, and without our two stored columns (each fact's rendered JSON and CSV row), which it would otherwise read
# and send with every row. Its search is the canned query a Datasette user would save (``datasette_app.SEARCH``).
DATASETTE_BEST = "_shape=array&_nocount=1&_nofacet=1&_nosuggest=1&_nocol=doc&_nocol=csv"


@dataclass
class Scenario:
    key: str  # a, a_count, b, c, d, e, f, fixed
    title: str
    path: str
    header: str | None = None


@dataclass
class Measurement:
    target: str  # ours, floor, datasette (at its best), datasette_default, ceiling
    size: str | None
    workers: int
    scenario: str
    round: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and timeouts
    non_2xx_3xx: int
    cpu_ms_per_request: float
    drained: bool  # False: the server was still busy with queued requests after `drain` s, and was restarted


@dataclass
class Server:
    target: str
    size: str | None
    workers: int
    command: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    base: str = ""
    memory: dict[str, float] = field(default_factory=dict)
    log: Path = Path(os.devnull)


# --- Databases -----------------------------------------------------------------------------------------------


def database(size: str) -> tuple[Path, dict[str, Any]]:
    """The synthetic database of ``size``, reused when the same generator and seed built it."""
    quotes = SIZES[size]
    path = DATA / f"synth-{size.lower()}.sqlite3"
    wanted = dataset_version(quotes, SEED)
    info: dict[str, Any] = {"path": str(path.relative_to(ROOT)), "quotes": quotes, "seed": SEED, "version": wanted}
    if path.exists() and _version_of(path) == wanted:
        info["built"] = "reused"
    else:
        print(f"building {path.name} ({quotes} quotes)...", file=sys.stderr)
        started = time.perf_counter()
        synth(path, quotes, SEED)
        info["built"] = f"built in {time.perf_counter() - started:.0f} s"
    info["size_mib"] = round(path.stat().st_size / 2**20, 1)
    return path, info


def _version_of(path: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return str(db.execute("SELECT version FROM dataset_info").fetchone()[0])
    except sqlite3.Error:
        return None


def tilde_encode(value: str) -> str:
    """Datasette's encoding of a value inside a ``_next`` token (``datasette.utils.tilde_encode``)."""
    safe = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return "".join(chr(b) if b in safe else "+" if b == 32 else f"~{b:02X}" for b in value.encode())


def scenarios(path: Path, size: str) -> dict[str, dict[str, Scenario]]:
    """The equivalent URLs of each scenario for each server, with real values from the database."""
    name = path.stem
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        speaker = db.execute("SELECT id FROM entity ORDER BY quote_count DESC, id LIMIT 1").fetchone()[0]
        total = db.execute("SELECT count(*) FROM quote").fetchone()[0]
        said_on, middle = db.execute(
            "SELECT said_on_earliest, id FROM quote ORDER BY said_on_earliest, id LIMIT 1 OFFSET ?", (total // 2 - 1,)
        ).fetchone()
    # Page N/2 + 1 starts after row N/2: our cursor holds that row's sort values, as the server would have made
    # it; Datasette's _next token holds the same values in its own format ("<sort value>,<primary key>").
    cursor = encode_cursor("quotes", [("said_on", False), ("id", False)], [date.fromisoformat(said_on), middle])
    token = f"{tilde_encode(said_on)},{tilde_encode(middle)}"
    quotes_a = f"/v1/quotes?speaker={speaker}&limit=50"
    ours = {
        "a": Scenario("a", "quotes of the busiest speaker, first 50", quotes_a),
        "a_count": Scenario("a_count", "(a) with count=true", f"{quotes_a}&count=true"),
        "b": Scenario("b", f"page of 50 after quote {total // 2} (cursor)", f"/v1/quotes?limit=50&cursor={cursor}"),
        "c": Scenario("c", f"full-text search for '{COMMON_WORD}', 50", f"/v1/search?q={COMMON_WORD}&limit=50"),
        "d": Scenario("d", "entity detail of the busiest speaker", f"/v1/entities/{speaker}"),
        "e": Scenario("e", "(a) revalidated: If-None-Match, 304", quotes_a),  # header filled in once served
        "f": Scenario("f", f"type-ahead prefix '{PREFIX}', 50", f"/v1/search?q={PREFIX}&limit=50"),
    }
    table = f"/{name}/quote.json?_sort=said_on_earliest&_size=50"
    best = {
        "a": Scenario("a", ours["a"].title, f"/{name}/quote.json?speaker_id={speaker}&_sort=said_on_earliest&_size=50"),
        "b": Scenario("b", ours["b"].title, f"{table}&_next={urlquote(token)}"),
        "c": Scenario("c", ours["c"].title, f"/{name}/search.json?q={COMMON_WORD}"),
        "d": Scenario("d", ours["d"].title, f"/{name}/entity/{speaker}.json"),
        "f": Scenario("f", ours["f"].title, f"/{name}/search.json?q={PREFIX}*"),
    }
    for key, scenario in best.items():
        scenario.path += ("&" if "?" in scenario.path else "?") + ("_shape=array" if key in "cdf" else DATASETTE_BEST)
    default = {
        "a": Scenario("a", ours["a"].title, f"/{name}/quote.json?speaker_id={speaker}&_sort=said_on_earliest&_size=50"),
        "b": Scenario("b", ours["b"].title, f"{table}&_next={urlquote(token)}"),
        "c": Scenario("c", ours["c"].title, f"/{name}/search_index.json?_search={COMMON_WORD}&_size=50"),
        "f": Scenario("f", ours["f"].title, f"/{name}/search_index.json?_search={PREFIX}*&_searchmode=raw&_size=50"),
    }
    floor = {key: Scenario(key, s.title, s.path) for key, s in ours.items() if key != "e"}
    return {"ours": ours, "floor": floor, "datasette": best, "datasette_default": default}


CEILING = {"fixed": Scenario("fixed", "fixed 5 KB JSON body", "/")}


def record_statements(path: Path, size: str, floor: dict[str, Scenario]) -> Path:
    """The SQL statements (with their parameters) our app runs for each of ``floor``'s URLs, for ``floor.py``.

    Recorded in this process through SQLAlchemy's ``before_cursor_execute`` on the app serving ``path``; each URL's
    second request is the one kept, so that what a first request fills (a cached count) is not replayed.
    """
    import asyncio

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app.main import create_app
    from app.settings import get_settings

    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        recorded.append((statement, list(parameters) if isinstance(parameters, tuple | list) else parameters))

    async def run() -> dict[str, Any]:
        app = create_app()
        found = {}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for scenario in floor.values():
                    for _ in range(2):
                        recorded.clear()
                        response = await client.get(scenario.path)
                        assert response.status_code == 200, f"{scenario.path}: {response.status_code}"
                    found[scenario.path] = list(recorded)
        return found

    saved = {k: os.environ.get(k) for k in ("ARTICLE_FACTS_DB", "ARTICLE_FACTS_LOG_LEVEL")}
    os.environ.update(ARTICLE_FACTS_DB=str(path), ARTICLE_FACTS_LOG_LEVEL="WARNING")
    get_settings.cache_clear()
    event.listen(Engine, "before_cursor_execute", record)
    try:
        found = asyncio.run(run())
    finally:
        event.remove(Engine, "before_cursor_execute", record)
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        get_settings.cache_clear()
    out = DATA / f"floor-{size}.json"
    out.write_text(json.dumps(found, default=str))
    return out


# --- Servers -------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_command(bin_dir: Path) -> list[str]:
    """uvicorn of the environment in ``bin_dir``, with TCP_NODELAY under ``--workers N`` too (uvicorn_nodelay.py)."""
    return [str(bin_dir / "python"), str(ROOT / "benchmarks" / "uvicorn_nodelay.py")]


def server(target: str, size: str | None, path: Path | None, workers: int = 1) -> Server:
    flags = [*UVICORN_FLAGS, "--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTICLE_FACTS_", "BENCH_"))}
    if target == "ours":
        command = [*uvicorn_command(APP_BIN), "app.main:create_app", "--factory", *flags]
        env["ARTICLE_FACTS_DB"] = str(path)
        # Our own JSON access log (one line per request at INFO) off, as uvicorn's is for every server here.
        env["ARTICLE_FACTS_LOG_LEVEL"] = "WARNING"
    elif target in ("datasette", "datasette_default"):
        command = [*uvicorn_command(BENCH_BIN), "datasette_app:create", "--factory", "--app-dir", "benchmarks", *flags]
        env["BENCH_DB"] = str(path)
    elif target == "floor":
        command = [*uvicorn_command(APP_BIN), "floor:create", "--factory", "--app-dir", "benchmarks", *flags]
        env["BENCH_DB"], env["BENCH_FLOOR"] = str(path), str(DATA / f"floor-{size}.json")
    else:
        command = [*uvicorn_command(APP_BIN), "ceiling:app", "--app-dir", "benchmarks", *flags]
    return Server(target, size, workers, command, env)


READY = {
    "ours": "/healthz",
    "datasette": "/-/versions.json",
    "datasette_default": "/-/versions.json",
    "floor": "/healthz",
    "ceiling": "/",
}


def start(srv: Server) -> None:
    port = free_port()
    srv.base = f"http://127.0.0.1:{port}"
    # The server's output goes to a file: a pipe read only on failure fills up and stalls a server that logs.
    srv.log = DATA / f"{srv.target}-{srv.size or 'x'}-w{srv.workers}.log"
    with open(srv.log, "wb") as log:
        srv.process = subprocess.Popen(
            [*srv.command, "--port", str(port)], cwd=ROOT, env=srv.env, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(srv.base + READY[srv.target], timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if srv.process.poll() is not None or time.monotonic() > deadline:
            stderr = srv.log.read_text(errors="replace")
            stop(srv)
            raise RuntimeError(f"{srv.target} did not start:\n{stderr[-2000:]}")
        time.sleep(0.1)
    if srv.workers > 1:
        # Every worker must be up before measuring: wait until the supervisor has all its children.
        while len(processes(srv.process.pid)) < srv.workers + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)


def stop(srv: Server) -> None:
    if srv.process is None:
        return
    now = memory(srv.process.pid)  # after a restart, keep the highest figures of every run of this server
    srv.memory = {key: max(value, srv.memory.get(key, 0.0)) for key, value in now.items()}
    srv.process.send_signal(signal.SIGTERM)
    try:
        srv.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        srv.process.kill()
        srv.process.wait()
    srv.process = None


def processes(pid: int) -> list[int]:
    """``pid`` and its children (uvicorn's workers, when there are several)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return [pid, *children]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its live children, from /proc/<pid>/stat."""
    total = 0
    for p in processes(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


def memory(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), MiB, summed over the server's processes."""
    found = {"rss_mib": 0.0, "hwm_mib": 0.0}
    for p in processes(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for key, name in (("VmRSS", "rss_mib"), ("VmHWM", "hwm_mib")):
            match = re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                found[name] += int(match[1]) / 1024
    return {k: round(v, 1) for k, v in found.items()}


# --- Checks and load -----------------------------------------------------------------------------------------


def rows_in(target: str, body: Any, path: str) -> tuple[int, str | None]:
    """How many rows an answer holds, and the first row's id."""
    if target == "ours":
        data = body.get("data", [body])
        return len(data), data[0]["id"] if data else None
    if target == "floor":
        return len(body["data"]), None
    data = body if isinstance(body, list) else body["rows"]
    first = data[0] if data else None
    first_id = (first.get("id") if isinstance(first, dict) else first[0]) if first else None
    return len(data), first_id


def check(srv: Server, urls: dict[str, Scenario]) -> dict[str, Any]:
    """Status, row count and first id of each URL, once per server before measuring."""
    found = {}
    for key, scenario in urls.items():
        response = httpx.get(srv.base + scenario.path, timeout=60)
        if key == "e":
            continue
        if srv.target == "ceiling":
            found[key] = {"status": response.status_code, "rows": len(response.json()["data"]), "first": None}
            continue
        rows, first = rows_in(srv.target, response.json(), scenario.path) if response.status_code == 200 else (0, None)
        found[key] = {"status": response.status_code, "rows": rows, "first": first, "bytes": len(response.content)}
    return found


def wrk(url: str, seconds: int, header: str | None, threads: int = THREADS) -> dict[str, Any]:
    command = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if header:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return wrk_figures(out)


def wrk_figures(out: str) -> dict[str, Any]:
    """What a ``wrk --latency`` run printed: requests, rate, latency percentiles, errors."""
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50_ms": _ms(latency.get("50", "0us")),
        "p99_ms": _ms(latency.get("99", "0us")),
        "errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "timeouts": int(errors[4]) if errors else 0,
        "non_2xx_3xx": int(non_ok[1]) if non_ok else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def warm(url: str, seconds: int, header: str | None) -> None:
    """One request at a time for ``seconds`` (at least one): caches warm, and no request left queued."""
    headers = dict([header.split(": ", 1)]) if header else {}
    deadline = time.monotonic() + seconds
    while True:
        httpx.get(url, headers=headers, timeout=120)
        if time.monotonic() > deadline:
            return


def drain(pid: int, seconds: int) -> bool:
    """Wait until the server is idle (under 10% of a core for half a second); False after ``seconds``.

    wrk stops with a request outstanding on each connection; the server still runs them (and, when they are
    slow, a long queue), which must not be counted against the next measurement.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.05:
            return True
    return False


def measure(srv: Server, scenario: Scenario, mode: Mode, round_no: int) -> Measurement:
    assert srv.process is not None
    url = srv.base + scenario.path
    warm(url, mode.warmup, scenario.header)
    before = cpu_seconds(srv.process.pid)
    result = wrk(url, mode.measure, scenario.header)
    window = cpu_seconds(srv.process.pid) - before
    drained = drain(srv.process.pid, mode.drain)
    if drained:
        # Every request the server took on was answered: the completed ones, one per connection still open when
        # wrk stopped, and those wrk gave up on (timeouts; the server still ran them).
        cpu = cpu_seconds(srv.process.pid) - before
        served = result["requests"] + CONNECTIONS + result["timeouts"]
    else:  # restarted below; the CPU of the measured window only, per completed request (an overestimate)
        cpu, served = window, result["requests"]
    print(
        f"  {srv.target:9} {srv.size or '':3} w{srv.workers} {scenario.key:7} {result['rps']:9.1f} req/s "
        f"p50 {result['p50_ms']:8.2f} ms p99 {result['p99_ms']:8.2f} ms",
        file=sys.stderr,
    )
    return Measurement(
        target=srv.target,
        size=srv.size,
        workers=srv.workers,
        scenario=scenario.key,
        round=round_no,
        cpu_ms_per_request=round(1000 * cpu / max(served, 1), 3),
        drained=drained,
        **{k: v for k, v in result.items() if k != "timeouts"},
    )


def run_server(
    srv: Server, urls: dict[str, Scenario], mode: Mode, round_no: int, checks: dict[str, Any]
) -> list[Measurement]:
    start(srv)
    try:
        label = f"{srv.target}@{srv.size or '-'}/w{srv.workers}"
        if label not in checks:
            checks[label] = check(srv, urls)
        if "e" in urls:  # the ETag of (a), so that (e) revalidates what a client really holds
            etag = httpx.get(srv.base + urls["a"].path, timeout=60).headers["etag"]
            urls["e"].header = f"If-None-Match: {etag}"
            assert httpx.get(srv.base + urls["e"].path, headers={"If-None-Match": etag}).status_code == 304
        found = []
        for scenario in urls.values():
            found.append(measure(srv, scenario, mode, round_no))
            if not found[-1].drained:
                stop(srv)
                start(srv)
        return found
    finally:
        stop(srv)


def startup_time(path: Path) -> float:
    """Seconds from starting the app's worker (as measured here) on an existing database to its first 200 on
    /healthz. Not through `article-facts serve`: the synthetic databases have no bulk download (the data package,
    built by `load`), so serve would rebuild them from seeds first."""
    port = free_port()
    srv = server("ours", "startup", path)
    started = time.perf_counter()
    process = subprocess.Popen(
        [*srv.command, "--port", str(port)], cwd=ROOT, env=srv.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise RuntimeError("the app did not answer /healthz")
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


# --- The run -------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of short runs, for development")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES), help="databases to measure")
    parser.add_argument("--rounds", type=int, help="rounds (default: 3, or 1 with --quick)")
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    if args.rounds:
        mode = Mode(**{**asdict(mode), "rounds": args.rounds})
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: `make bench` installs it (apt-get install wrk)")
    if not (BENCH_BIN / "uvicorn").exists():
        sys.exit(".venv-bench is missing: `make bench` creates it from benchmarks/requirements.lock")

    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    databases = {size: database(size) for size in args.sizes}
    urls = {size: scenarios(path, size) for size, (path, _) in databases.items()}
    for size, (path, _) in databases.items():
        record_statements(path, size, urls[size]["floor"])
    servers = ("ours", "floor", "datasette", "datasette_default")
    targets = [("ceiling", None)] + [(t, size) for size in databases for t in servers]
    largest = args.sizes[-1]

    measurements: list[Measurement] = []
    checks: dict[str, Any] = {}
    memory_at: dict[str, dict[str, float]] = {}
    for round_no in range(mode.rounds):
        order = targets[round_no % len(targets) :] + targets[: round_no % len(targets)]
        names = ", ".join(f"{t}@{s or '-'}" for t, s in order)
        print(f"round {round_no + 1}/{mode.rounds}: {names}", file=sys.stderr)
        for target, size in order:
            path = databases[size][0] if size else None
            srv = server(target, size, path)
            scenario_urls = CEILING if target == "ceiling" else urls[size][target]  # type: ignore[index]
            measurements += run_server(srv, scenario_urls, mode, round_no + 1, checks)
            memory_at[f"{target}@{size or '-'}/w1"] = srv.memory

    print(f"two workers, {largest}:", file=sys.stderr)
    for target in ("ours", "datasette"):
        srv = server(target, largest, databases[largest][0], workers=2)
        subset = {k: v for k, v in urls[largest][target].items() if k in ("a", "b", "c")}
        measurements += run_server(srv, subset, mode, 1, checks)
        memory_at[f"{target}@{largest}/w2"] = srv.memory

    from starvation import starvation  # beside this file; it imports this module

    print(f"starvation, {largest}:", file=sys.stderr)
    starved = starvation(databases[largest][0], mode.measure)
    startups = [round(startup_time(databases[largest][0]), 3) for _ in range(mode.startups)]
    results = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "settings": asdict(mode) | {"connections": CONNECTIONS, "threads": THREADS},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
        "commit": commit(),
        "commands": commands(databases),
        "databases": {size: info for size, (_, info) in databases.items()},
        "urls": {size: {t: {k: asdict(s) for k, s in v.items()} for t, v in by.items()} for size, by in urls.items()},
        "checks": checks,
        "memory": memory_at,
        "startup_seconds": startups,
        "measurements": [asdict(m) for m in measurements],
        "starvation": {"size": largest, "rows": starved},
    }
    write(results)
    return 0


def versions() -> dict[str, str]:
    def bench(code: str) -> str:
        return subprocess.run([str(BENCH_BIN / "python"), "-c", code], capture_output=True, text=True).stdout.strip()

    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version.strip(),
        "fastapi": version("fastapi"),
        "starlette": version("starlette"),
        "pydantic": version("pydantic"),
        "sqlalchemy": version("sqlalchemy"),
        "uvicorn (ours, ceiling)": version("uvicorn"),
        "datasette": bench("import datasette.version as v; print(v.__version__)"),
        "uvicorn (datasette)": bench("import uvicorn; print(uvicorn.__version__)"),
        "sqlite (datasette)": bench("import sqlite3; print(sqlite3.sqlite_version)"),
    }


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"short": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "app"))}


def commands(databases: dict[str, tuple[Path, dict[str, Any]]]) -> dict[str, str]:
    db = list(databases.values())[-1][0].relative_to(ROOT)
    flags = " ".join([*UVICORN_FLAGS, "--workers", "1", "--port", "PORT"])
    return {
        "ours": f"ARTICLE_FACTS_DB={db} ARTICLE_FACTS_LOG_LEVEL=WARNING .venv/bin/uvicorn app.main:create_app "
        f"--factory {flags}",
        "datasette": f"BENCH_DB={db} .venv-bench/bin/uvicorn datasette_app:create --factory --app-dir benchmarks "
        + flags,
        "ceiling": f".venv/bin/uvicorn ceiling:app --app-dir benchmarks {flags}",
        "floor": f"BENCH_DB={db} BENCH_FLOOR=data/bench/floor-SIZE.json .venv/bin/uvicorn floor:create --factory "
        f"--app-dir benchmarks {flags}",
        "load": f"wrk -t{THREADS} -c{CONNECTIONS} -dSECONDSs --latency --timeout 10s [-H 'If-None-Match: ETAG'] URL",
        "startup": "the command of ours, timed from its start to the first 200 on /healthz",
        "databases": ".venv/bin/python -m tools.synth --quotes N --seed 0 --db data/bench/synth-<size>.sqlite3",
    }


def write(results: dict[str, Any]) -> None:
    from report import markdown  # beside this file

    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{results['started_at'][:10]}-{results['commit']['short']}{'-quick' if results['mode'] == 'quick' else ''}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    chart = RESULTS / f"{stem}.png"
    subprocess.run(
        [str(BENCH_BIN / "python"), str(ROOT / "benchmarks" / "chart.py"), str(RESULTS / f"{stem}.json"), str(chart)],
        check=True,
    )
    text = markdown(results, chart.name)
    (RESULTS / f"{stem}.md").write_text(text)
    (RESULTS / "latest.md").write_text(text)
    print(f"wrote {RESULTS / stem}.md (and latest.md, .json, .png)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
