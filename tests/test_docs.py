"""Rule docs cannot drift: committed docs match the generator, examples do what they say.

After adding or changing a rule: `python scripts/gen_docs.py`, then commit `docs/`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from docklint.config import Config
from docklint.docs import rule_markdown, rule_text, rules_table
from docklint.engine import gate_text, instruction_keywords, lint_text
from docklint.registry import CODE, collect_rules, index_source, registry
from docklint.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
RULES = registry().rules
DOCKERFILE_RULES = [r for r in RULES if r.kind == "dockerfile"]
# Rules whose examples only make sense with a build context or settings the example cannot carry
# (their case files cover them with `context:` and `config:`). Strict xfails: an entry that
# starts passing fails the run, so the list cannot go stale.
NEEDS_SETUP = {
    "DF106": "needs a build context without a .dockerignore",
    "DF201": "needs `require-digest: true`",
    "DF411": "needs a build context with a .dockerignore",
    "DF419": "needs a build context holding the good example's files",
    "DF311": "needs a build context holding a large archive",
    "DF409": "needs the built image's platform (image mode); its case file sets `image_platform`",
    "DL3026": "needs `trusted-registries`",
    **{f"DL30{n}": "needs a `label-schema`" for n in (49, 50, 51, 52, 53, 54, 55, 56, 58)},
}


def _example_params() -> list[object]:
    params = []
    for rule in DOCKERFILE_RULES:
        reason = NEEDS_SETUP.get(rule.code)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(rule, id=rule.code, marks=marks))
    return params


def _tree(root: Path) -> dict[str, str]:
    files = [root / "rules.md", *sorted((root / "rules").glob("*.md"))]
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files if p.exists()}


def test_committed_docs_are_up_to_date(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_docs.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    fresh, committed = _tree(tmp_path), _tree(DOCS)
    missing = sorted(set(fresh) - set(committed))
    extra = sorted(set(committed) - set(fresh))
    differ = sorted(name for name in set(fresh) & set(committed) if fresh[name] != committed[name])
    assert not (missing or extra or differ), (
        f"docs are stale (run `python scripts/gen_docs.py`): missing {missing}, no such rule {extra}, "
        f"changed {differ}"
    )


def test_rule_data_twins_are_current() -> None:
    """`rules/data/*.yaml` load from JSON twins (no PyYAML at start-up); they must match."""
    from docklint.rules._data import compiled

    sources = sorted((ROOT / "rules" / "data").glob("*.yaml"))
    for source in sources:
        twin = source.with_name(source.name + ".json")
        assert twin.exists() and twin.read_text(encoding="utf-8") == compiled(source.read_text(encoding="utf-8")), (
            f"{twin.name} is stale: run `python scripts/gen_docs.py`"
        )
    for twin in (ROOT / "rules" / "data").glob("*.yaml.json"):
        assert twin.with_suffix("").exists(), f"{twin.name} has no YAML source any more"


@pytest.mark.parametrize("rule", _example_params())
def test_bad_example_fires_and_good_does_not(rule: Rule) -> None:
    config = Config(extend_select=(rule.code,))
    result = lint_text(rule.bad, "Dockerfile", config, rules=[rule])
    bad = [f for f in result.findings if f.code == rule.code]
    gate = registry().entry_by_code[rule.code]
    assert gate.can_fire(instruction_keywords(result.model), gate_text(result.model).__contains__), f"{rule.code}'s needs_* gate rejects its `bad` example"
    good = [f for f in lint_text(rule.good, "Dockerfile", config, rules=[rule]).findings if f.code == rule.code]
    assert bad, f"{rule.code}'s `bad` example does not fire it"
    assert not good, f"{rule.code}'s `good` example fires it: {[f.message for f in good]}"


def test_setup_exemptions_name_real_rules() -> None:
    assert not set(NEEDS_SETUP) - {r.code for r in DOCKERFILE_RULES}


def test_registry_codes_and_names() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for rule in RULES:
        assert CODE.match(rule.code), rule.code
        assert NAME.match(rule.name), f"{rule.code}: name {rule.name!r} is not kebab-case"
        for alias in rule.aliases:
            assert alias not in names or alias == rule.name, f"{rule.code}: alias {alias!r} is another rule's name"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_metadata_is_complete(rule: Rule) -> None:
    for field in ("summary", "message", "rationale", "bad", "good"):
        assert getattr(rule, field).strip(), f"{rule.code} has no {field}"
    assert not rule.message.rstrip().endswith("."), f"{rule.code}: messages end without a full stop"
    assert rule.bad.strip() != rule.good.strip(), f"{rule.code}: `bad` and `good` are the same"
    if rule.fix_safety is not None:
        assert rule.fix_safety.lower().startswith(("safe", "unsafe")), f"{rule.code}: fix_safety says Safe: or Unsafe: first"


def test_page_sections_in_order() -> None:
    rule = registry().by_code["DL3020"]
    text = rule_text(rule)
    positions = [text.index(s) for s in ("DL3020 copy-instead-of-add", "What it flags", "Why it matters", "Example", "Instead", "Fix")]
    assert positions == sorted(positions)
    markdown = rule_markdown(rule)
    assert markdown.startswith("# DL3020 copy-instead-of-add\n")
    assert "```dockerfile\nFROM alpine:3.20\nADD app/ /srv/app/\n```" in markdown


def test_fence_is_longer_than_backticks_in_examples() -> None:
    base = registry().by_code["DL3020"]
    from dataclasses import replace

    rule = replace(base, bad="RUN echo ```", good="RUN echo ok")
    assert "````dockerfile\nRUN echo ```\n````" in rule_markdown(rule)


def test_rules_table_aligns_columns() -> None:
    rules = [registry().by_code[c] for c in ("DL3000", "DL3020")]
    table = rules_table(rules, lambda r: r.code == "DL3020").splitlines()
    assert table[1].split() == ["DL3000", "workdir-relative-path", "error", "off"]
    assert table[2].split() == ["DL3020", "copy-instead-of-add", "error", "yes", "on"]
    assert table[0].index("NAME") == table[1].index("workdir") == table[2].index("copy")


def test_rule_index_is_current() -> None:
    """`rules/_index.py` is what the registry selects and gates rules by without importing them."""
    committed = (ROOT / "rules" / "_index.py").read_text(encoding="utf-8")
    assert committed == index_source(collect_rules()), "rules/_index.py is stale: run `python scripts/gen_docs.py`"
