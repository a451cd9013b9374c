"""Per-instruction rules, run only where the file changed since a lint of the same path.

In an editor, one edit changes one place of a document and the server lints the whole text
again. Most rules look at one instruction at a time (`Rule.each`), and what they find on an
instruction depends only on the file up to the end of that instruction, the path and the config
(and on facts about the rest of the file a rule declares, `Rule.given`). So the findings of
those rules are kept per instruction, under a key that names exactly that: an id for the text of
the file up to the end of the instruction, the rules run, the config and the values of those
facts. After an edit, the instructions above it keep their findings; those from the edit on are
checked again. Work done is proportional to what follows the edit, and an edit at the end of a
long file checks one instruction.

Prefix ids are handed out once per exact text (built instruction by instruction: the id before,
then the text from the end of the previous instruction to the end of this one, comments and
blank lines included) and never reused, so a kept result is the result a fresh run would give.
Findings are kept with their positions: the same prefix text puts the instruction on the same
lines.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from docklint.model.memo import Memo

if TYPE_CHECKING:
    from docklint.config import Config
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Instruction
    from docklint.rule import Finding, Rule

# Prefix ids: (id of the prefix before, text since it, whether the text ends the file) -> id.
# A 500-line file holds ~250 instructions; an edit adds as many ids as instructions follow it.
# Emptied when full: results under older ids are then never found again and leave the memo
# below by age.
_PREFIXES: dict[tuple[int, str, bool], int] = {}
_PREFIX_LIMIT = 65_536
_SEEDS: dict[tuple[str, str | None], int] = {}
_NEXT_ID = itertools.count(1)
# The last model's instructions and prefix ids per path (the 64 paths linted last).
_LAST_IDS: Memo[tuple[int, tuple[Instruction, ...], list[int]]] = Memo("prefix ids per path", 64)

# Findings per (prefix id, rules, config[, facts]): at most 16,384 instructions' worth, or
# 65,536 findings; each entry is a few hundred bytes.
_RESULTS: Memo[_Kept] = Memo("instruction findings", 16_384, budget=65_536)

# Rule sets by their codes, each given a number for result keys.
_RULE_SETS: dict[tuple[str, ...], int] = {}


class _Kept:
    """The findings on one instruction, and the config they were found under."""

    __slots__ = ("config", "findings", "crashes")

    def __init__(self, config: Config, findings: tuple[Finding, ...], crashes: tuple[tuple[str, str], ...]) -> None:
        self.config = config
        self.findings = findings
        self.crashes = crashes  # (rule code, error) for each rule that crashed on the instruction


def prefix_ids(df: Dockerfile) -> list[int]:
    """For each top-level instruction, in order, the id of the file's text up to its end
    (worked out once per model)."""
    cached = df._cache.get(("prefix-ids",))
    if cached is None:
        cached = df._cache[("prefix-ids",)] = _prefix_ids(df)
    return cached  # type: ignore[return-value]


def _prefix_ids(df: Dockerfile) -> list[int]:
    global _PREFIXES
    if len(_PREFIXES) > _PREFIX_LIMIT:
        _PREFIXES = {}
        _SEEDS.clear()
    seed_key = (df.path, df.image_platform)
    seed_id = _SEEDS.get(seed_key)
    if seed_id is None:
        seed_id = _SEEDS[seed_key] = next(_NEXT_ID)
    current = seed_id
    text = df.source.text
    line_start = df.source.line_start
    line_count = df.source.line_count
    table = _PREFIXES
    ids: list[int] = []
    previous_end = 0
    # The parser shares the instructions of the last parse of this path up to the first change
    # (`reparse.LAST`): the same objects have the same text up to their end, so the same ids.
    last = _LAST_IDS.get(df.path)
    if last is not None and last[0] == current:
        _seed, instructions, known = last
        for inst, old, found in zip(df.instructions, instructions, known):
            if inst is not old:
                break
            ids.append(found)
        if ids:
            current = ids[-1]
            previous_end = df.source.line_start(df.instructions[len(ids) - 1].last_line + 1)
    for inst in df.instructions[len(ids) :]:
        at_end = inst.last_line + 1 >= line_count
        end = len(text) if at_end else line_start(inst.last_line + 1)
        key = (current, text[previous_end:end], at_end)
        found = table.get(key)
        if found is None:
            found = table[key] = next(_NEXT_ID)
        ids.append(found)
        current = found
        previous_end = end
    _LAST_IDS.put(df.path, (seed_id, tuple(df.instructions), ids))
    return ids


def run_each_rules(df: Dockerfile, rules: Sequence[Rule], config: Config, path: str) -> tuple[list[Finding], list[tuple[Rule, str]]]:
    """The findings of per-instruction `rules` on `df`, reusing those kept for unchanged
    prefixes; and (rule, error) for each rule that crashed (the caller reports each once)."""
    from docklint.rule import Context

    if not rules:
        return [], []
    codes = tuple(r.code for r in rules)
    rule_set = _RULE_SETS.get(codes)
    if rule_set is None:
        if len(_RULE_SETS) > 256:
            _RULE_SETS.clear()
        rule_set = _RULE_SETS[codes] = next(_NEXT_ID)
    # Which rules look at an instruction of each keyword, with their contexts (made once per lint).
    by_keyword: dict[str, list[tuple[Rule, Context]]] = {}
    onbuild: dict[str, list[tuple[Rule, Context]]] = {}
    for rule in rules:
        ctx = Context(rule, config.severity_of(rule), config, path, config.options_for(rule))
        for keyword in rule.each:
            by_keyword.setdefault(keyword, []).append((rule, ctx))
            if rule.onbuild:
                onbuild.setdefault(keyword, []).append((rule, ctx))
    facts = tuple(dict.fromkeys(fact for rule in rules for fact in rule.given))
    findings: list[Finding] = []
    crashed: dict[str, tuple[Rule, str]] = {}
    by_code = {r.code: r for r in rules}
    for inst, prefix in zip(df.instructions, prefix_ids(df)):
        if facts:
            key: tuple[Any, ...] = (prefix, rule_set, id(config), tuple([fact(df, inst) for fact in facts]))
        else:
            key = (prefix, rule_set, id(config))
        kept = _kept(key, config)
        if kept is None:
            kept = _check(df, inst, by_keyword, onbuild, config)
            _RESULTS.put(key, kept, 1 + len(kept.findings))
        findings.extend(kept.findings)
        for code, error in kept.crashes:
            crashed.setdefault(code, (by_code[code], error))
    return findings, list(crashed.values())


def kept_findings(prefix: int, what: str, config: Config) -> tuple[Finding, ...] | None:
    """Findings kept by `keep` for the instruction with this prefix id, from the pass `what`
    under `config`; None when there are none."""
    kept = _kept((prefix, what, id(config)), config)
    return kept.findings if kept is not None else None


def keep(prefix: int, what: str, config: Config, findings: tuple[Finding, ...]) -> None:
    """Keep the findings of the pass `what` (ShellCheck's) on the instruction with this prefix
    id: that pass promises what per-instruction rules promise."""
    _RESULTS.put((prefix, what, id(config)), _Kept(config, findings, ()), 1 + len(findings))


def _kept(key: tuple[Any, ...], config: Config) -> _Kept | None:
    """The entry under `key`, if it was made under this very config (keys hold its `id`)."""
    kept = _RESULTS.get(key)
    return kept if kept is not None and kept.config is config else None


def _check(
    df: Dockerfile,
    inst: Instruction,
    by_keyword: dict[str, list[tuple[Rule, Any]]],
    onbuild: dict[str, list[tuple[Rule, Any]]],
    config: Config,
) -> _Kept:
    found: list[Finding] = []
    crashes: list[tuple[str, str]] = []
    # Rules on every instruction (`each=("*",)`) are listed under "*".
    targets = [(inst, [*by_keyword.get(inst.keyword, ()), *by_keyword.get("*", ())])]
    if inst.onbuild is not None:
        targets.append((inst.onbuild, [*onbuild.get(inst.onbuild.keyword, ()), *onbuild.get("*", ())]))
    for target, checks in targets:
        for rule, ctx in checks:
            try:
                found.extend(rule.check(df, target, ctx))
            except Exception as error:  # noqa: BLE001 - a rule bug must not stop the others
                from docklint.engine import _debug

                _debug("rule %s crashed on %s:\n%s", rule.code, ctx.path)
                crashes.append((rule.code, f"{type(error).__name__}: {error}"))
    return _Kept(config, tuple(found), tuple(crashes))


def split(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    """`rules` as (whole-file rules, per-instruction rules), each in the order given."""
    whole: list[Rule] = []
    each: list[Rule] = []
    for rule in rules:
        (each if rule.each else whole).append(rule)
    return whole, each
