"""How much of linting the corpus goes to secret scanning (a benchmark, not a test).

Lints every corpus file in one process from disk (`lint_path`, so build-context rules run), with
every default rule plus the opt-in rules of issue 4, then again without the secret rules
(DL3064, DF102, DF105, DF114), and prints both times, the difference and its share. Each
configuration runs in a fresh process so imports (detect-secrets ~100-300 ms) count; times are
CPU seconds of that process (the machine may be shared), wall time in brackets.

    python3 bench/secret_share.py [--corpus DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SECRET_RULES = ("DL3064", "DF102", "DF105", "DF114")
OPT_IN = ("DF112", "DF129", "DF205")

CHILD = r"""
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from pathlib import Path
from docklint.config import Config
from docklint.engine import lint_path
corpus, ignore, extend = Path(sys.argv[1]), tuple(sys.argv[2].split(",")) if sys.argv[2] else (), tuple(sys.argv[3].split(","))
rows = (corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
files = [corpus / row.split("\t", 1)[0] for row in rows if row]
config = Config(ignore=ignore, extend_select=extend, shellcheck=False)
findings = 0
for path in files:
    findings += len(lint_path(path, config).findings)
print(json.dumps({"seconds": time.process_time() - c0, "wall": time.perf_counter() - t0, "files": len(files), "findings": findings}))
"""


def run(corpus: Path, ignore: tuple[str, ...]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(corpus), ",".join(ignore), ",".join(OPT_IN)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with_secrets = min((run(args.corpus, ()) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    without = min((run(args.corpus, SECRET_RULES) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    share = (with_secrets["seconds"] - without["seconds"]) / with_secrets["seconds"]
    print(f"files: {with_secrets['files']:.0f}")
    print(f"all rules:               {with_secrets['seconds']:.2f} s CPU [{with_secrets['wall']:.2f} s] ({with_secrets['findings']:.0f} findings)")
    print(f"without secret rules:    {without['seconds']:.2f} s CPU [{without['wall']:.2f} s] ({without['findings']:.0f} findings)")
    print(f"secret rules cost:       {with_secrets['seconds'] - without['seconds']:.2f} s ({share:.1%})")


if __name__ == "__main__":
    main()
