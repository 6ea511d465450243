"""Bar chart of the ratios of a benchmark run: ``chart.py RESULTS.json OUT.png`` (run in .venv-bench)."""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

sys.path.insert(0, str(Path(__file__).parent))
from report import ratios


def main(results_path: str, out: str) -> None:
    results = json.loads(Path(results_path).read_text())
    found = ratios(results)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for ax, (name, target) in zip(axes, (("ours/datasette", 1.0), ("ours/floor", 0.5)), strict=True):
        labels = [k for k, v in found[name].items() if v]
        medians = [sorted(found[name][k])[len(found[name][k]) // 2] for k in labels]
        lows = [m - min(found[name][k]) for m, k in zip(medians, labels, strict=True)]
        highs = [max(found[name][k]) - m for m, k in zip(medians, labels, strict=True)]
        colors = ["tab:blue" if "1k" in k else "tab:orange" for k in labels]
        ax.bar(labels, medians, yerr=[lows, highs], color=colors, capsize=3)
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.axhline(target, color="tab:red", linestyle="--", linewidth=0.8, label=f"target {target:g}×")
        peer = "Datasette at its best" if name == "ours/datasette" else "the floor (same SQL, raw sqlite3)"
        ax.set_title(f"ours / {peer} (req/s), median and range", fontsize=10)
        ax.tick_params(axis="x", rotation=45)
        ax.legend()
    run = f"{results['started_at'][:10]} {results['mode']} run, commit {results['commit']['short']}"
    fig.suptitle(f"{run} (blue: 1k quotes, orange: 1M)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
