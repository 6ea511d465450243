"""Soak: the real server at half its measured maximum rate for a bounded time, on loopback, with reloads,
watching its memory and open files.

    make soak DURATION=300          # or: .venv/bin/python benchmarks/soak.py --duration 300

1. Starts `article-facts serve` on a free 127.0.0.1 port, on a private database built from the seeds.
2. Probe: wrk, unpaced, for --probe seconds gives the maximum rate (requests/s) over a mix of the API's routes
   (``benchmarks/soak.lua``); or take it from --max-rate.
3. Soak: wrk paced to half that rate for --duration seconds. Meanwhile the server's resident memory (VmRSS) and
   open file descriptors (/proc/PID/fd) are sampled every --sample seconds, and every --reload-every seconds
   `article-facts load` swaps in a changed database, which the server must serve from then on.
4. Reports requests, achieved rate, errors (socket errors by kind and non-2xx/3xx answers), latency, and the
   RSS and fd first/min/max/last/drift, as text and (--json) as a file. Exits 1 if anything failed.

Why wrk: Debian's own load generator (C, one event loop), so on a 2-core machine the client takes little of the
CPU the server needs. Debian 12 packages none of the rate-limited tools (wrk2, vegeta, oha); locust would add
some fifteen packages (gevent, flask, pyzmq...) and spend a core in Python. wrk has no rate option, but its Lua
``delay()`` hook paces each connection; the report gives the rate actually achieved next to the target.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("soak.lua")
BIN = Path(sys.executable).parent
CONNECTIONS = 16  # as many as the reload test's clients


@dataclass
class Samples:
    """RSS (KiB) and open file descriptors of one process, sampled until stopped."""

    pid: int
    every: float
    rss_kib: list[int] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while True:
            self.rss_kib.append(rss_kib(self.pid))
            self.fds.append(len(os.listdir(f"/proc/{self.pid}/fd")))
            if self.stop.wait(self.every):
                return


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def replaced_files_open(pid: int) -> list[str]:
    """Files the process holds open although they were replaced or removed (a leak if reloads leave them)."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except FileNotFoundError:  # closed while we looked
            continue
    return [target for target in targets if target.endswith(" (deleted)")]


def summary(values: list[int]) -> dict[str, Any]:
    """First/min/max/last, the drift over the run and over its second half (past warm-up), and every sample."""
    return {
        "first": values[0],
        "min": min(values),
        "max": max(values),
        "last": values[-1],
        "drift": values[-1] - values[0],
        "second_half_drift": values[-1] - values[len(values) // 2],
        "samples": values,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def wrk(base: str, seconds: int, delay_ms: float) -> dict[str, Any]:
    """One bounded wrk run (one thread, CONNECTIONS connections); its JSON summary."""
    env = {**os.environ, "SOAK_DELAY_MS": f"{delay_ms:.3f}"}
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "-s", str(LUA), base]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("SOAK-JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("SOAK-JSON "))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def renamed_seeds(folder: Path, n: int) -> Path:
    """A copy of the seeds whose data differs visibly (an entity's name), so that each reload changes the data."""
    seeds = folder / f"seeds-{n % 2}"
    if not seeds.exists():
        shutil.copytree(ROOT / "seeds", seeds)
        entities = seeds / "entities.yaml"
        text = entities.read_text(encoding="utf-8")
        entities.write_text(text.replace("name: Antony Blinken\n", f"name: Antony Blinken ({n % 2})\n"), "utf-8")
    return seeds


def reloads(base: str, db: Path, folder: Path, every: float, stop: threading.Event, log: list[dict[str, Any]]) -> None:
    """Every ``every`` seconds: `article-facts load` a changed data set, then check that the server serves it."""
    n = 0
    while not stop.wait(every):
        loaded = subprocess.run(
            [str(BIN / "article-facts"), "load", str(renamed_seeds(folder, n)), "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        expected = f"Antony Blinken ({n % 2})"
        served = get_json(f"{base}/v1/entities/antony-blinken")["name"]
        log.append({"exit": loaded.returncode, "served": served == expected, "error": loaded.stderr.strip()})
        n += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=300, help="seconds at half the maximum rate (default 300)")
    parser.add_argument("--probe", type=int, default=15, help="seconds of the unpaced probe (default 15)")
    parser.add_argument("--max-rate", type=float, help="take this maximum rate (requests/s) instead of probing")
    parser.add_argument("--sample", type=float, default=5, help="seconds between RSS/fd samples (default 5)")
    parser.add_argument("--reload-every", type=float, default=30, help="seconds between reloads; 0: none (30)")
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (make soak does it)")

    folder = Path(tempfile.mkdtemp(prefix="article-facts-soak-"))
    db = folder / "facts.sqlite3"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(folder / "server.log", "wb") as log:
        server = subprocess.Popen(
            [str(BIN / "article-facts"), "serve", "--db", str(db), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get_json(f"{base}/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the server did not start: {(folder / 'server.log').read_text()}")
                time.sleep(0.2)

        if args.max_rate:
            max_rate, probe = args.max_rate, None
        else:
            print(f"probe: {args.probe} s unpaced, {CONNECTIONS} connections ...", flush=True)
            probe = wrk(base, args.probe, 0)
            max_rate = probe["rate"]
        target = max_rate / 2
        delay_ms = CONNECTIONS * 1000 / target
        print(f"soak: {args.duration} s at {target:.0f} requests/s (half of {max_rate:.0f}) ...", flush=True)

        samples = Samples(server.pid, args.sample)
        sampler = threading.Thread(target=samples.run)
        stop_reloads = threading.Event()
        reload_log: list[dict[str, Any]] = []
        reloader = threading.Thread(
            target=reloads, args=(base, db, folder, args.reload_every, stop_reloads, reload_log)
        )
        sampler.start()
        if args.reload_every:
            reloader.start()
        try:
            soak = wrk(base, args.duration, delay_ms)
        finally:
            stop_reloads.set()
            samples.stop.set()
            sampler.join()
            if args.reload_every:
                reloader.join()
        replaced_open = replaced_files_open(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    errors = sum(soak["errors"].values())
    failed_reloads = [r for r in reload_log if r["exit"] != 0 or not r["served"]]
    report = {
        "max_rate": round(max_rate, 1),
        "probe": probe,
        "target_rate": round(target, 1),
        "duration_s": args.duration,
        "connections": CONNECTIONS,
        "soak": soak,
        "errors": errors,
        "reloads": len(reload_log),
        "failed_reloads": failed_reloads,
        "rss_kib": summary(samples.rss_kib),
        "fds": summary(samples.fds),
        "sample_every_s": args.sample,
        "replaced_files_open_at_end": replaced_open,
        "server_exit": server.returncode,
        "load_average_1_5_15_at_end": os.getloadavg(),  # the machine is shared: how busy it was
    }
    rss, fds = report["rss_kib"], report["fds"]
    print(
        f"max rate {max_rate:.0f}/s; soak {args.duration} s at {soak['rate']:.0f}/s (target {target:.0f}): "
        f"{soak['requests']} requests, {errors} errors {soak['errors']}, "
        f"latency p50 {soak['latency_ms']['p50']:.1f} ms p99 {soak['latency_ms']['p99']:.1f} ms "
        f"max {soak['latency_ms']['max']:.1f} ms\n"
        f"reloads: {len(reload_log)}, failed {len(failed_reloads)}; replaced files still open: {len(replaced_open)}\n"
        f"RSS MiB first {rss['first'] / 1024:.1f} min {rss['min'] / 1024:.1f} max {rss['max'] / 1024:.1f} "
        f"last {rss['last'] / 1024:.1f} drift {rss['drift'] / 1024:+.1f} "
        f"(second half {rss['second_half_drift'] / 1024:+.1f}); "
        f"fds first {fds['first']} min {fds['min']} max {fds['max']} last {fds['last']} drift {fds['drift']:+d} "
        f"(second half {fds['second_half_drift']:+d}) "
        f"({len(samples.fds)} samples every {args.sample:g} s); "
        f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(folder)
    return 1 if errors or failed_reloads or replaced_open else 0


if __name__ == "__main__":
    sys.exit(main())
