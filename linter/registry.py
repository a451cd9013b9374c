"""The rule registry: rules by code, name and alias, with each family module imported only when
one of its rules is needed.

Selecting rules (config, `--select`, pragmas) and deciding which can fire on a file only need a
few facts per rule, which `rules/_index.py` holds: generated from the `@rule` declarations by
`scripts/gen_docs.py` and checked by `tests/test_docs.py`. Importing all ~55 family modules costs
more than linting a typical file, so the engine loads only the modules of the rules it runs;
everything that shows a rule's documentation (`explain`, SARIF, hover) loads the full rules.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from typing import Callable, Container, Iterable, Sequence

from docklint.rule import Rule

CODE = re.compile(r"^(DL\d{4}|(DF|IM|RT)\d{3})$")


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """What selection and gating need to know of a rule, without importing it."""

    code: str
    name: str
    kind: str
    module: str
    enabled: bool
    aliases: tuple[str, ...]
    buildkit: tuple[str, ...]
    tags: tuple[str, ...]
    needs_instructions: tuple[str, ...]
    needs_text: tuple[str, ...]

    def can_fire(self, keywords: Container[str], occurs: Callable[[str], bool]) -> bool:
        """Whether the rule's declared condition holds for a file holding these instructions, in
        whose text `occurs(needed)` says a string is found (`text.__contains__`, or a memo)."""
        if self.needs_instructions and not any(k in keywords for k in self.needs_instructions):
            return False
        return not self.needs_text or any(occurs(t) for t in self.needs_text)


def entry_of(rule: Rule) -> RuleEntry:
    return RuleEntry(
        rule.code, rule.name, rule.kind, rule.module, rule.enabled, rule.aliases, rule.buildkit, rule.tags,
        rule.needs_instructions, rule.needs_text,
    )


class Registry:
    """Rule entries from the index; full `Rule` objects loaded per module on demand."""

    def __init__(self, entries: Sequence[RuleEntry]) -> None:
        self.entries = tuple(sorted(entries, key=lambda e: e.code))
        self.entry_by_code = {e.code: e for e in self.entries}
        by_name: dict[str, list[RuleEntry]] = {}
        for entry in self.entries:
            for name in (entry.name, *entry.aliases, *entry.buildkit, *(_kebab(b) for b in entry.buildkit)):
                by_name.setdefault(name.lower(), []).append(entry)
        self._by_name = {k: tuple(v) for k, v in by_name.items()}
        self._loaded: dict[str, Rule] = {}
        self._modules: set[str] = set()
        self._by_code: dict[str, Rule] | None = None

    # -- full rules (importing their modules) ---------------------------------------------------

    def load(self, entries: Iterable[RuleEntry]) -> tuple[Rule, ...]:
        """The full rules of these entries, in their order, importing each module once."""
        chosen = list(entries)
        for module_name in dict.fromkeys(e.module for e in chosen):
            if module_name not in self._modules:
                self._import(module_name)
        return tuple(self._loaded[e.code] for e in chosen)

    def _import(self, module_name: str) -> None:
        for rule in rules_in(module_name):
            if rule.code not in self.entry_by_code:
                raise RuntimeError(f"{rule.code} is missing from rules/_index.py: run `python scripts/gen_docs.py`")
            self._loaded[rule.code] = rule
        self._modules.add(module_name)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.load(self.entries)

    @property
    def by_code(self) -> dict[str, Rule]:
        if self._by_code is None:
            self._by_code = {r.code: r for r in self.rules}
        return self._by_code

    def rule(self, code: str) -> Rule | None:
        entry = self.entry_by_code.get(code)
        return self.load((entry,))[0] if entry is not None else None

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return self.load(self.entries_of_kind(kind))

    def get(self, selector: str) -> Rule | None:
        """The rule a code, name or alias names (one rule only), or None."""
        entry = self.entry_by_code.get(selector.upper())
        if entry is None:
            found = self._by_name.get(selector.lower())
            entry = found[0] if found and len(found) == 1 else None
        return self.load((entry,))[0] if entry is not None else None

    # -- entries (no imports) -------------------------------------------------------------------

    def entries_of_kind(self, kind: str) -> tuple[RuleEntry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    def resolve(self, selector: str) -> tuple[RuleEntry, ...]:
        """Every rule a selector names: code, name, alias, BuildKit name, prefix or `all`."""
        text = selector.strip()
        if text.lower() == "all":
            return self.entries
        entry = self.entry_by_code.get(text.upper())
        if entry is not None:
            return (entry,)
        named = self._by_name.get(text.lower())
        if named:
            return named
        upper = text.upper()
        if re.fullmatch(r"(DL|DF|IM|RT|SC)\d{0,3}", upper):
            return tuple(e for e in self.entries if e.code.startswith(upper))
        return ()

    def is_known(self, selector: str) -> bool:
        text = selector.strip()
        # ShellCheck's codes are not rules; `SC2086`, a prefix (`SC2`, `SC`) or `shellcheck` selects them.
        shellcheck = text.lower() == "shellcheck" or bool(re.fullmatch(r"SC\d{0,4}", text.upper()))
        return bool(self.resolve(text)) or text.lower() == "all" or shellcheck

    def names(self) -> list[str]:
        """Every code and name, for did-you-mean suggestions."""
        return [n for e in self.entries for n in (e.code, e.name)]


@cache
def registry() -> Registry:
    """The registry, built once per process from the generated index."""
    from docklint.rules._index import RULES

    return Registry([RuleEntry(*row) for row in RULES])


def collect_rules() -> list[Rule]:
    """Every rule, by importing every family module: the source `rules/_index.py` is made from."""
    from docklint.rules import FAMILIES

    rules = [rule for module_name in FAMILIES for rule in rules_in(module_name)]
    codes = [r.code for r in rules]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate rule codes: {', '.join(duplicates)}")
    return sorted(rules, key=lambda r: r.code)


def rules_in(module_name: str) -> list[Rule]:
    """The rules a family module declares (importing it)."""
    # `__import__`, unlike importlib.import_module, shows up in `python -X importtime`.
    __import__(module_name)
    found = []
    for value in vars(sys.modules[module_name]).values():
        rule = getattr(value, "__dlint_rule__", None)
        if isinstance(rule, Rule) and rule.module == module_name:
            found.append(rule)
    return found


def index_source(rules: Sequence[Rule]) -> str:
    """The text of `rules/_index.py` for these rules."""
    lines = [
        '"""Generated by `python scripts/gen_docs.py` from the rules\' `@rule` declarations: do not edit.',
        "",
        "One row per rule, the fields of `docklint.registry.RuleEntry`: what selecting rules and",
        "deciding which can fire on a file need, without importing the rule modules.",
        '"""',
        "",
        "RULES = (",
    ]
    for rule in rules:
        lines.append(f"    {_row(rule)!r},")
    lines.append(")")
    return "\n".join(lines) + "\n"


def _row(rule: Rule) -> tuple[object, ...]:
    entry = entry_of(rule)
    return tuple(getattr(entry, f) for f in RuleEntry.__dataclass_fields__)


def _kebab(name: str) -> str:
    """BuildKit's CamelCase check names in kebab-case (`JSONArgsRecommended` -> `json-args-recommended`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()
