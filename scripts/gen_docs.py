"""Regenerate the rules reference from the rules themselves: `python scripts/gen_docs.py`.

Writes `docs/rules.md` and `docs/rules/CODE.md` (one page per rule) and deletes pages of rules
that no longer exist. It also compiles the rules' data files (`rules/data/*.yaml`) into their JSON
twins (`*.yaml.json`), which the rules load without importing PyYAML (see `rules/_data.py`), and
writes `rules/_index.py`, the registry's index of rules (see `linter/registry.py`). Run it after
adding or changing a rule; `tests/test_docs.py` fails while the
committed docs differ from what this prints. `--out DIR` writes elsewhere (the test uses it);
`--check` writes nothing and exits 1 when the docs are stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from docklint.docs import generated_files
from docklint.registry import collect_rules, index_source

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "rules" / "data"
INDEX = ROOT / "rules" / "_index.py"


def data_twins() -> tuple[dict[Path, str], list[Path]]:
    """The JSON twin of every YAML data file, and twins whose YAML is gone."""
    from docklint.rules._data import compiled

    twins = {p.with_name(p.name + ".json"): compiled(p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.yaml"))}
    orphans = [p for p in sorted(DATA.glob("*.yaml.json")) if p not in twins]
    return twins, orphans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="the docs folder (default: docs/)")
    parser.add_argument("--check", action="store_true", help="only report whether the docs are up to date")
    args = parser.parse_args(argv)
    rules = collect_rules()
    files = generated_files(rules)
    index = index_source(rules)
    stale_index = _read(INDEX) != index
    pages = args.out / "rules"
    stale = [p for p in sorted(pages.glob("*.md")) if f"rules/{p.name}" not in files] if pages.is_dir() else []
    changed = [name for name, text in files.items() if _read(args.out / name) != text]
    twins, orphans = data_twins()
    stale_twins = [path for path, text in twins.items() if _read(path) != text]
    if args.check:
        for name in changed:
            print(f"stale: docs/{name}", file=sys.stderr)
        for path in stale:
            print(f"no such rule any more: docs/rules/{path.name}", file=sys.stderr)
        for path in [*stale_twins, *orphans, *([INDEX] if stale_index else [])]:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if changed or stale or stale_twins or orphans or stale_index else 0
    # The index and data twins live in the source tree: written only when the docs go to their
    # place there too, so rendering the docs elsewhere (tests/test_docs.py) leaves the tree alone.
    in_tree = args.out.resolve() == (ROOT / "docs").resolve()
    if not in_tree:
        stale_index, stale_twins, orphans = False, [], []
    if stale_index:
        INDEX.write_text(index, encoding="utf-8", newline="\n")
    for path in stale_twins:
        path.write_text(twins[path], encoding="utf-8", newline="\n")
    for path in orphans:
        path.unlink()
    for name in changed:
        target = args.out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[name], encoding="utf-8", newline="\n")
    for path in stale:
        path.unlink()
    print(f"docs: {len(changed)} written, {len(stale)} removed, {len(files)} in all; "
          f"data twins: {len(stale_twins)} written, {len(orphans)} removed; "
          f"rule index: {'written' if stale_index else 'unchanged'}")
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
