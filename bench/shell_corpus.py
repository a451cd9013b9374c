"""Time the shell analysis of every RUN in the shared corpus and print fallback counts.

Not part of the test suite: `python3 bench/shell_corpus.py [corpus-dir]`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"


def main() -> None:
    from docklint.model.dockerfile import iter_with_onbuild, parse

    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    files = [CORPUS / row.split("\t", 1)[0] for row in rows if row]
    parsed = [parse(f.read_text(encoding="utf-8", errors="replace"), str(f)) for f in files]
    started = time.perf_counter()
    cpu_started = time.process_time()
    from docklint.model import shell_parse

    shell_parse.load_bashlex()
    imported = time.perf_counter()
    runs = scripts = commands = fallback = 0
    for df in parsed:
        for inst in iter_with_onbuild(df.instructions):
            if inst.keyword != "RUN":
                continue
            runs += 1
            for script in df.scripts(inst):
                scripts += 1
                commands += len(script.commands)
                fallback += script.fallback
    done = time.perf_counter()
    cpu = time.process_time() - cpu_started
    from docklint.model.shell import STATS

    print(f"files {len(files)}  RUN {runs}  scripts {scripts}  commands {commands}  fallback scripts {fallback}")
    print(f"bashlex import {1000 * (imported - started):.0f} ms  analysis {done - imported:.2f} s (CPU {cpu:.2f} s)")
    print("stats", STATS)


if __name__ == "__main__":
    main()
