"""The results file: tables of the measured figures, the ratios per round, and the issue's targets evaluated."""

import statistics
from collections import defaultdict
from typing import Any

SCENARIOS = ["a", "b", "c", "d", "e", "f"]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _div(a: float, b: float) -> float:
    """a / b, or NaN when nothing was served (a target with NaN is reported as not met)."""
    return a / b if b else float("nan")


def _index(results: dict[str, Any]) -> dict[tuple[str, str | None, int, str], list[dict[str, Any]]]:
    by: dict[tuple[str, str | None, int, str], list[dict[str, Any]]] = defaultdict(list)
    for m in results["measurements"]:
        by[(m["target"], m["size"], m["workers"], m["scenario"])].append(m)
    return by


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Per-round ratios of req/s: ours/Datasette and ours/ceiling, by size and scenario (also used by the chart)."""
    by = _index(results)
    ceiling = {m["round"]: m["rps"] for m in by[("ceiling", None, 1, "fixed")]}
    found: dict[str, Any] = {"ours/datasette": {}, "ours/ceiling": {}}
    for size in results["databases"]:
        for key in SCENARIOS:
            ours = {m["round"]: m["rps"] for m in by[("ours", size, 1, key)]}
            peer = {m["round"]: m["rps"] for m in by[("datasette", size, 1, "a" if key == "e" else key)]}
            if key != "e":  # a round where either served nothing has no ratio
                found["ours/datasette"][f"{key} {size}"] = [
                    ours[r] / peer[r] for r in sorted(ours) if peer.get(r) and ours[r]
                ]
            found["ours/ceiling"][f"{key} {size}"] = [ours[r] / ceiling[r] for r in sorted(ours) if ceiling.get(r)]
    return found


def markdown(results: dict[str, Any], chart: str) -> str:
    by = _index(results)
    settings = results["settings"]
    rounds = settings["rounds"]
    per_round = ratios(results)
    out = [
        f"# Benchmark {results['started_at'][:10]} ({results['mode']} run), commit {results['commit']['short']}"
        + (" with uncommitted changes in app/" if results["commit"]["dirty"] else ""),
        "",
        f"{rounds} round(s), servers one at a time in rotated order; per scenario wrk -t{settings['threads']} "
        f"-c{settings['connections']}, {settings['warmup']} s warm-up then {settings['measure']} s measured. "
        "Figures are medians over the rounds; ratios are computed per round (listed) and their median shown. "
        "CPU is the server's user+system time per request (/proc). "
        f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['platform']}; load average before "
        f"{_load(results['load_average_before'])}, after {_load(results['load_average_after'])} (a shared machine: "
        "other work competes with the servers and with wrk).",
        "",
        f"![ratios]({chart})",
        "",
        "## Databases",
        "",
        "| size | file | quotes | seed | dataset version | MiB | |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, info in results["databases"].items():
        out.append(
            f"| {size} | `{info['path']}` | {info['quotes']} | {info['seed']} | {info['version']} | "
            f"{info['size_mib']} | {info['built']} |"
        )
    for size in results["databases"]:
        out += ["", f"## {size} quotes, one worker", ""]
        out += [
            "| scenario | ours req/s | p50 ms | p99 ms | CPU ms/req | Datasette req/s | p50 ms | p99 ms | CPU ms/req "
            "| ours/Datasette (per round) | ours/ceiling |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
        ]
        urls = results["urls"][size]
        for key in [*SCENARIOS, "a_count"]:
            ours = by[("ours", size, 1, key)]
            peer = by[("datasette", size, 1, key)]
            title = urls["ours"][key]["title"]
            ratio = per_round["ours/datasette"].get(f"{key} {size}", [])
            ceiling = per_round["ours/ceiling"].get(f"{key} {size}", [])
            out.append(
                f"| ({key}) {title} | {_fig(ours)} | {_fig(peer) if peer else '| | |'} | "
                f"{_ratio(ratio)} | {f'{_median(ceiling):.3f}' if ceiling else ''} |"
            )
        out += ["", "URLs:", ""]
        for key, scenario in urls["ours"].items():
            peer = urls["datasette"].get(key)
            header = f" with `{scenario['header']}`" if scenario.get("header") else ""
            out.append(f"- ({key}) `{scenario['path']}`{header}" + (f" vs `{peer['path']}`" if peer else ""))
        out += ["", "Row checks before measuring (status, rows, first id):", ""]
        for key in urls["datasette"]:
            ours_check = results["checks"].get(f"ours@{size}/w1", {}).get(key)
            peer_check = results["checks"].get(f"datasette@{size}/w1", {}).get(key)
            same = ours_check and peer_check and ours_check["rows"] == peer_check["rows"]
            verdict = "same rows" if same else "**ROW COUNTS DIFFER**"
            out.append(f"- ({key}) ours {_check(ours_check)}, Datasette {_check(peer_check)}: {verdict}")

    ceiling = by[("ceiling", None, 1, "fixed")]
    out += [
        "",
        "## Ceiling (bare Starlette, fixed ~5 KB JSON)",
        "",
        "| req/s | p50 ms | p99 ms | CPU ms/req |",
        "| ---: | ---: | ---: | ---: |",
        f"| {_fig(ceiling)} |",
    ]

    out += [
        "",
        "## Two workers, 1M quotes",
        "",
        "| scenario | ours req/s | p50 ms | p99 ms | CPU ms/req | Datasette req/s "
        "| p50 ms | p99 ms | CPU ms/req | ours/Datasette |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("a", "b", "c"):
        ours, peer = by[("ours", "1M", 2, key)], by[("datasette", "1M", 2, key)]
        if ours and peer:
            ratio = _div(_median([m["rps"] for m in ours]), _median([m["rps"] for m in peer]))
            out.append(f"| ({key}) | {_fig(ours)} | {_fig(peer)} | {ratio:.2f} |")

    out += [
        "",
        "## Memory and start-up",
        "",
        "| server | VmRSS MiB at the end | VmHWM MiB (peak) |",
        "| --- | ---: | ---: |",
    ]
    for label, mem in results["memory"].items():
        out.append(f"| {label} | {mem.get('rss_mib', '')} | {mem.get('hwm_mib', '')} |")
    out += [
        "",
        f"`article-facts serve` on the existing 1M database, start to first 200 on `/healthz`: "
        f"{', '.join(f'{s:.2f} s' for s in results['startup_seconds'])}.",
    ]

    out += ["", "## Targets (issue 3)", ""] + [f"- {line}" for line in targets(results, by, per_round)]
    out += ["", "## What the pairs compare", "", *NOTES]
    out += ["", "## Versions", ""] + [f"- {k}: {v}" for k, v in results["versions"].items()]
    out += ["", "## Commands", ""] + [f"- {k}: `{v}`" for k, v in results["commands"].items()]
    out += ["", "Raw figures: the `.json` file of the same name.", ""]
    return "\n".join(out)


NOTES = [
    "- (a), (b): Datasette runs its page query plus a `count(*)` of the filtered rows (`filtered_table_rows_count`,"
    " within its SQL time limit) and returns plain rows; ours returns each quote with speaker, event, mentions and"
    " evidence embedded, rendered at load time (1 SQL statement). Datasette breaks ties of `_sort` by rowid, ours by"
    " id, so the first rows of (a) may differ while the counts match; (b) starts at the same row in both.",
    "- (c), (f): Datasette's `_search` on the FTS5 table is a filter, `rowid IN (SELECT rowid FROM search_index"
    " WHERE search_index MATCH escape_fts(:search))`, in rowid order, without ranking or snippets (plus its"
    " count); ours orders by BM25 when a query has fewer than 200 matches, else names and titles first then index"
    " order, and cuts a snippet per hit.",
    "- (d): Datasette's row page returns the entity's row; ours returns the entity with its aliases, affiliations,"
    " counts, links and its first 100 mentions.",
    "- A scenario where Datasette completed no request in wrk's window is shown as 0.0 req/s; its ratio is then"
    " undefined (blank) and the target is judged on that.",
    "- Datasette runs with `sql_time_limit_ms` raised from 1 s to 10 s (wrk's timeout), so that it answers every"
    " pair with the same rows instead of a fast 400 when a query takes longer; its other settings are defaults.",
    "- (e): ours answers 304 from the ETag without touching the database; Datasette has no revalidation, so its"
    " figure for reference is (a), a plain 200.",
]


def targets(results: dict[str, Any], by: dict[Any, list[dict[str, Any]]], per_round: dict[str, Any]) -> list[str]:
    lines = []

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    def nothing_served(target: str, size: str, key: str) -> bool:
        return all(m["rps"] == 0 for m in by[(target, size, 1, key)])

    for key, factor in (("a", 3), ("b", 3), ("c", 2)):
        r = _median(per_round["ours/datasette"].get(f"{key} 1M", []))
        if nothing_served("datasette", "1M", key) and not nothing_served("ours", "1M", key):
            ours = _median([m["rps"] for m in by[("ours", "1M", 1, key)]])
            lines.append(
                f"({key}) at 1M at least {factor}× Datasette's req/s: ours {ours:.1f} req/s, Datasette completed no "
                f"request in any round (each takes longer than wrk's window) {verdict(True)}"
            )
            continue
        lines.append(f"({key}) at 1M at least {factor}× Datasette's req/s: {r:.2f}× {verdict(r >= factor)}")
    for size in results["databases"]:
        worse = []
        for key in ("a", "b", "c", "d", "f"):
            ours = _median([m["p99_ms"] for m in by[("ours", size, 1, key)]])
            peer = _median([m["p99_ms"] for m in by[("datasette", size, 1, key)]])
            if nothing_served("datasette", size, key):
                continue  # Datasette's p99 is then over wrk's 10 s window: ours cannot be worse
            if ours > peer:
                worse.append(f"({key}) {ours:.1f} ms vs {peer:.1f} ms")
        found = verdict(False) + ": " + "; ".join(worse) if worse else verdict(True)
        lines.append(f"p99 no worse than Datasette's in every scenario at {size}: {found}")
    e = _median(per_round["ours/ceiling"].get("e 1M", []))
    lines.append(f"(e) at least 25% of the ceiling's req/s (1M): {e:.1%} {verdict(e >= 0.25)}")
    for key in ("a", "b", "f"):
        small = _median([m["rps"] for m in by[("ours", "1k", 1, key)]])
        large = _median([m["rps"] for m in by[("ours", "1M", 1, key)]])
        lines.append(
            f"flat cost ({key}): 1M at least 0.8× of 1k: {_div(large, small):.2f}× {verdict(_div(large, small) >= 0.8)}"
        )
    rss = results["memory"].get("ours@1M/w1", {})
    peak_mb = rss.get("hwm_mib", float("inf")) * 1.048576  # MiB -> MB
    lines.append(
        f"our server at 1M under 200 MB RSS: {rss.get('rss_mib')} MiB at the end, {rss.get('hwm_mib')} MiB at its peak "
        f"({peak_mb:.0f} MB) {verdict(peak_mb < 200)}"
    )
    start = max(results["startup_seconds"])
    tries = len(results["startup_seconds"])
    lines.append(
        f"`serve` on a 1M database answers /healthz within 2 s: slowest of {tries} {start:.2f} s {verdict(start < 2)}"
    )
    for size in results["databases"]:
        plain = _median([m["rps"] for m in by[("ours", size, 1, "a")]])
        counted = _median([m["rps"] for m in by[("ours", size, 1, "a_count")]])
        slower = _div(plain, counted)
        lines.append(f"count=true no slower than 2× without it ({size}, (a)): {slower:.2f}× {verdict(slower <= 2)}")
    return lines


def _fig(ms: list[dict[str, Any]]) -> str:
    if not ms:
        return "| | |"
    errors = sum(m["errors"] + m["non_2xx_3xx"] for m in ms)
    restarted = sum(not m.get("drained", True) for m in ms)
    flag = (f" ({errors} errors)" if errors else "") + (f" (restarted ×{restarted})" if restarted else "")
    return (
        f"{_median([m['rps'] for m in ms]):.1f}{flag} | {_median([m['p50_ms'] for m in ms]):.2f} | "
        f"{_median([m['p99_ms'] for m in ms]):.2f} | {_median([m['cpu_ms_per_request'] for m in ms]):.3f}"
    )


def _ratio(values: list[float]) -> str:
    if not values:
        return ""
    return f"**{_median(values):.2f}** ({', '.join(f'{v:.2f}' for v in values)})"


def _check(found: dict[str, Any] | None) -> str:
    if not found:
        return "not checked"
    return f"{found['status']}, {found['rows']} rows, first `{found['first']}`, {found.get('bytes', '?')} bytes"


def _load(load: list[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)
