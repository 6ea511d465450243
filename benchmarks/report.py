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


# In the order of the table's columns.
PEERS = {"floor": "ours/floor", "datasette": "ours/datasette", "datasette_default": "ours/datasette_default"}


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Per-round ratios of req/s: ours to each peer (Datasette at its best, the floor, Datasette's default JSON)
    and ours/ceiling, by size and scenario (also used by the chart). (e) is compared with the ceiling only."""
    by = _index(results)
    ceiling = {m["round"]: m["rps"] for m in by[("ceiling", None, 1, "fixed")]}
    found: dict[str, Any] = {name: {} for name in [*PEERS.values(), "ours/ceiling"]}
    for size in results["databases"]:
        for key in [*SCENARIOS, "a_count"]:
            ours = {m["round"]: m["rps"] for m in by[("ours", size, 1, key)]}
            for peer_name, name in PEERS.items():
                peer = {m["round"]: m["rps"] for m in by[(peer_name, size, 1, key)]}
                if peer:  # a round where either served nothing has no ratio
                    found[name][f"{key} {size}"] = [ours[r] / peer[r] for r in sorted(ours) if peer.get(r) and ours[r]]
            if key == "e":
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
            "| scenario | ours req/s | p50 ms | p99 ms | CPU ms/req | floor req/s | p50 ms | p99 ms | CPU ms/req "
            "| **ours/floor** | Datasette at its best req/s | p50 ms | p99 ms | CPU ms/req "
            "| **ours/Datasette at its best** | extra: Datasette default JSON req/s | ours/default |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- "
            "| ---: | ---: |",
        ]
        urls = results["urls"][size]
        for key in [*SCENARIOS, "a_count"]:
            title = urls["ours"][key]["title"]
            cells = [f"({key}) {title}", _fig(by[("ours", size, 1, key)])]
            for peer, name in PEERS.items():
                ms = by[(peer, size, 1, key)]
                ratio = per_round[name].get(f"{key} {size}", [])
                if peer == "datasette_default":
                    cells += [f"{_median([m['rps'] for m in ms]):.1f}" if ms else "", _ratio(ratio)]
                else:
                    cells += [_fig(ms), _ratio(ratio)]
            out.append("| " + " | ".join(cells) + " |")
        out += ["", "URLs:", ""]
        for key, scenario in urls["ours"].items():
            header = f" with `{scenario['header']}`" if scenario.get("header") else ""
            out.append(f"- ({key}) ours `{scenario['path']}`{header}")
            for peer, label in (("datasette", "at its best"), ("datasette_default", "default")):
                if key in urls.get(peer, {}):
                    out.append(f"  - Datasette {label}: `{urls[peer][key]['path']}`")
        out += ["", "Row checks before measuring (status, rows, first id):", ""]
        for key in urls["datasette"]:
            ours_check = results["checks"].get(f"ours@{size}/w1", {}).get(key)
            peer_check = results["checks"].get(f"datasette@{size}/w1", {}).get(key)
            same = ours_check and peer_check and ours_check["rows"] == peer_check["rows"]
            verdict = "same row counts" if same else "**ROW COUNTS DIFFER**"
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

    largest = results["starvation"]["size"]
    out += [
        "",
        f"## Two workers, {largest} quotes",
        "",
        "| scenario | ours req/s | p50 ms | p99 ms | CPU ms/req | Datasette at its best req/s "
        "| p50 ms | p99 ms | CPU ms/req | ours/Datasette |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("a", "b", "c"):
        ours, peer = by[("ours", largest, 2, key)], by[("datasette", largest, 2, key)]
        if ours and peer:
            ratio = _div(_median([m["rps"] for m in ours]), _median([m["rps"] for m in peer]))
            out.append(f"| ({key}) | {_fig(ours)} | {_fig(peer)} | {ratio:.2f} |")

    from starvation import table  # beside this file

    out += [
        "",
        f"## Starvation, {largest} quotes, one worker",
        "",
        "A cheap request (an entity's detail, `wrk -t1 -c32`) alone, then while 2 and 8 clients repeat the most "
        "expensive valid request of each list (`starvation.py`).",
        "",
        *table(results["starvation"]["rows"]),
    ]

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
        f"The app's worker on the existing {largest} database, start to first 200 on `/healthz`: "
        f"{', '.join(f'{s:.2f} s' for s in results['startup_seconds'])}.",
    ]

    out += ["", "## Targets (issue 9)", ""] + [f"- {line}" for line in targets(results, by, per_round)]
    out += ["", "## What the pairs compare", "", *NOTES]
    out += ["", "## Versions", ""] + [f"- {k}: {v}" for k, v in results["versions"].items()]
    out += ["", "## Commands", ""] + [f"- {k}: `{v}`" for k, v in results["commands"].items()]
    out += ["", "Raw figures: the `.json` file of the same name.", ""]
    return "\n".join(out)


NOTES = [
    "- Datasette at its best, (a) and (b): its table JSON with `_shape=array&_nocount=1&_nofacet=1&_nosuggest=1`"
    " (no count of the filtered rows, no facets or suggestions, a bare array) and `_nocol=doc&_nocol=csv` (it"
    " leaves out our two stored columns, each fact's rendered JSON and CSV row, which it would otherwise read and"
    " send); it returns the quote's own columns, ours each quote with speaker, event, mentions and evidence"
    " embedded, rendered at load time (1 SQL statement). Datasette breaks ties of `_sort` by rowid, ours by id.",
    "- Datasette at its best, (c) and (f): the canned query a Datasette user would save,"
    " `select rowid, * from search_index where search_index match :q limit 50` (`datasette_app.SEARCH`), with"
    " `_shape=array`: FTS5 rows in index order, no ranking, snippets or count; ours orders by BM25 when a query"
    " has fewer than 200 matches (else names and titles first, then index order) and cuts a snippet per hit.",
    "- (d): Datasette's row JSON returns the entity's row (it counts the rows that refer to it only with"
    " `_extras`); ours returns the entity with its aliases, affiliations, counts, links and first 100 mentions.",
    "- Extra, Datasette's default table JSON: `_search`/table pages as a first-time user gets them, computing a"
    " count and facet suggestions on every request. Labelled as an extra: not the comparison we claim.",
    "- The floor: a bare Starlette app (`floor.py`) that runs the very SQL statements our app runs for the URL"
    " (recorded from its second request) with raw `sqlite3` on the event loop and writes their rows as JSON,"
    " stored documents embedded as they are. ours/floor is the share of our per-request work that is the query.",
    "- A scenario where a server completed no request in wrk's window is shown as 0.0 req/s; its ratio is then"
    " undefined (blank) and the target is judged on that.",
    "- Datasette runs with `sql_time_limit_ms` raised from 1 s to 10 s (wrk's timeout), so that it answers every"
    " pair with the same rows instead of a fast 400 when a query takes longer.",
    "- (e): ours answers 304 from the ETag without touching the database; it is compared with the ceiling.",
    "- (c), (f): ours keeps the 256 most recent search pages rendered per dataset version, so a repeated search"
    " (as here) runs one statement, the dataset version, and the floor replays just that: its ratio says nothing"
    " of the search. `benchmarks/search.py` measures searches that never repeat.",
]


def targets(results: dict[str, Any], by: dict[Any, list[dict[str, Any]]], per_round: dict[str, Any]) -> list[str]:
    lines = []
    largest = results["starvation"]["size"]

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    def median_of(target: str, size: str, key: str, figure: str) -> float:
        return _median([m[figure] for m in by[(target, size, 1, key)]])

    for key in ("a", "b"):
        r = _median(per_round["ours/floor"].get(f"{key} {largest}", []))
        lines.append(f"({key}) at {largest}, ours at least 0.5 of the floor: {r:.2f} {verdict(r >= 0.5)}")
    e = _median(per_round["ours/ceiling"].get(f"e {largest}", []))
    lines.append(f"(e) 304 at least 0.6 of the ceiling's req/s ({largest}): {e:.2f} {verdict(e >= 0.6)}")
    for key in ("c", "f"):
        r = _median(per_round["ours/datasette"].get(f"{key} {largest}", []))
        ours_p99, peer_p99 = median_of("ours", largest, key, "p99_ms"), median_of("datasette", largest, key, "p99_ms")
        lines.append(
            f"({key}) at {largest}, at least 2× Datasette's canned FTS5 query: {r:.2f}× {verdict(r >= 2)}; p99 no"
            f" worse: {ours_p99:.1f} vs {peer_p99:.1f} ms {verdict(ours_p99 <= peer_p99)}"
        )
    for key in ("a", "b", "d"):
        r = _median(per_round["ours/datasette"].get(f"{key} {largest}", []))
        lines.append(f"({key}) at {largest}, ours/Datasette at its best (no target; reported): {r:.2f}×")
    rows = [row for row in results["starvation"]["rows"] if row["clients"]]
    kept = [row for row in rows if row["share"] >= 0.7]
    quick = [row for row in rows if row["p99_ms"] < 100]
    lines.append(
        f"starvation: the cheap request keeps 70% of its rate alone in {len(kept)} of {len(rows)} cases"
        f" {verdict(len(kept) == len(rows))}; p99 under 100 ms in {len(quick)} of {len(rows)}"
        f" {verdict(len(quick) == len(rows))} (alone: p99 {results['starvation']['rows'][0]['p99_ms']:.1f} ms)"
    )
    if "1k" in results["databases"] and "1M" in results["databases"]:
        for key in ("a", "b", "f"):
            small, large = median_of("ours", "1k", key, "rps"), median_of("ours", "1M", key, "rps")
            ratio = _div(large, small)
            lines.append(f"flat cost ({key}): 1M at least 0.8× of 1k: {ratio:.2f}× {verdict(ratio >= 0.8)}")
    rss = results["memory"].get(f"ours@{largest}/w1", {})
    peak_mb = rss.get("hwm_mib", float("inf")) * 1.048576  # MiB -> MB
    lines.append(
        f"our server at {largest} under 200 MB RSS: {rss.get('rss_mib')} MiB at the end, {rss.get('hwm_mib')} MiB at"
        f" its peak ({peak_mb:.0f} MB) {verdict(peak_mb < 200)}"
    )
    start = max(results["startup_seconds"])
    tries = len(results["startup_seconds"])
    lines.append(
        f"the app on a {largest} database answers /healthz within 2 s: slowest of {tries} {start:.2f} s"
        f" {verdict(start < 2)}"
    )
    for size in results["databases"]:
        slower = _div(median_of("ours", size, "a", "rps"), median_of("ours", size, "a_count", "rps"))
        lines.append(f"count=true no slower than 2× without it ({size}, (a)): {slower:.2f}× {verdict(slower <= 2)}")
    return lines


README_ROWS = [
    ("a", "a speaker's quotes"),
    ("b", "a page by cursor"),
    ("c", "search, common word"),
    ("f", "search, prefix"),
    ("d", "entity detail"),
]


def readme_table(results: dict[str, Any]) -> str:
    """The README's performance table: the largest size's figures of the run, as ``tests/test_docs.py`` checks."""
    by, per_round = _index(results), ratios(results)
    size = results["starvation"]["size"]
    lines = [
        "| Request | req/s | p99 ms | × Datasette | of the floor |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, title in README_ROWS:
        ours = by[("ours", size, 1, key)]
        peer = _median(per_round["ours/datasette"].get(f"{key} {size}", []))
        # Search pages are kept rendered: the floor of a repeated search replays a version look-up, no search.
        floor = "" if key in "cf" else f"{_median(per_round['ours/floor'].get(f'{key} {size}', [])):.2f}"
        rate, p99 = _median([m["rps"] for m in ours]), _median([m["p99_ms"] for m in ours])
        lines.append(f"| ({key}) {title} | {rate:,.0f} | {p99:,.0f} | {peer:.1f}× | {floor} |")
    e = by[("ours", size, 1, "e")]
    ceiling = _median(per_round["ours/ceiling"].get(f"e {size}", []))
    rate, p99 = _median([m["rps"] for m in e]), _median([m["p99_ms"] for m in e])
    lines.append(f"| (e) (a) revalidated, 304 | {rate:,.0f} | {p99:,.0f} | | {ceiling:.2f} of ceiling |")
    rows = [row for row in results["starvation"]["rows"] if row["clients"]]
    shares = sorted(row["share"] for row in rows)
    p99 = sorted(row["p99_ms"] for row in rows)
    lines += [
        "",
        f"While 2 or 8 clients repeat each list's costliest request, a cheap one keeps {shares[0]:.2f}–{shares[-1]:.2f}"
        f" of its rate (p99 {p99[0]:,.0f}–{p99[-1]:,.0f} ms).",
    ]
    return "\n".join(lines)


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
