"""How much of linting the corpus goes to secret scanning (a benchmark, not a test).

Parses every corpus file once with its folder as build context (as `lint_path` does), runs the
shared shell analysis, then times each enabled rule (every default rule plus the opt-in rules of
issue 4) in CPU seconds, so a busy shared machine skews the split less than wall time would.
The secret rules are DL3064, DF102, DF105 and DF114; DF102's time includes importing and
setting up detect-secrets.

    python3 bench/secret_share.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SECRET_RULES = ("DL3064", "DF102", "DF105", "DF114")
OPT_IN = ("DF112", "DF129", "DF205")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()

    from docklint.config import Config
    from docklint.engine import enabled_rules
    from docklint.model.dockerfile import parse
    from docklint.rule import Context

    config = Config(extend_select=OPT_IN, shellcheck=False)
    rules = enabled_rules(config)
    rows = (args.corpus / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    files = [args.corpus / row.split("\t", 1)[0] for row in rows if row]

    start = time.process_time()
    models = [parse(p.read_text(encoding="utf-8", errors="replace"), str(p), str(p.parent)) for p in files]
    parsing = time.process_time() - start
    start = time.process_time()
    for model in models:
        list(model.commands())  # the shell analysis is shared: charge it to no rule
    shell = time.process_time() - start

    spent: Counter[str] = Counter()
    for model in models:
        for rule in rules:
            start = time.process_time()
            list(rule.check(model, Context(rule, config.severity_of(rule), config, model.path, {})))
            spent[rule.code] += time.process_time() - start
    total = parsing + shell + sum(spent.values())
    secret = sum(spent[code] for code in SECRET_RULES)
    print(f"files: {len(files)}, rules: {len(rules)}")
    print(f"parse {parsing:.2f} s, shell analysis {shell:.2f} s, rules {sum(spent.values()):.2f} s; total {total:.2f} s CPU")
    print(f"secret rules: {secret:.2f} s ({secret / total:.1%} of the total)")
    for code in SECRET_RULES:
        print(f"  {code}: {spent[code]:.2f} s")
    print("slowest rules:", ", ".join(f"{c} {t:.2f} s" for c, t in spent.most_common(6)))


if __name__ == "__main__":
    main()
