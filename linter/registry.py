"""The rule registry: imports the rule families once and indexes rules by code, name and alias."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache

from docklint.rule import Rule

CODE = re.compile(r"^(DL\d{4}|(DF|IM|RT)\d{3})$")


@dataclass(frozen=True)
class Registry:
    rules: tuple[Rule, ...]
    by_code: dict[str, Rule]
    by_name: dict[str, tuple[Rule, ...]]  # names, aliases and BuildKit check names (lowercase)

    def get(self, selector: str) -> Rule | None:
        """The rule a code, name or alias names (one rule only), or None."""
        rule = self.by_code.get(selector.upper())
        if rule is not None:
            return rule
        found = self.by_name.get(selector.lower())
        return found[0] if found and len(found) == 1 else None

    def resolve(self, selector: str) -> tuple[Rule, ...]:
        """Every rule a selector names: code, name, alias, BuildKit name, prefix or `all`."""
        text = selector.strip()
        if text.lower() == "all":
            return self.rules
        rule = self.by_code.get(text.upper())
        if rule is not None:
            return (rule,)
        named = self.by_name.get(text.lower())
        if named:
            return named
        upper = text.upper()
        if re.fullmatch(r"(DL|DF|IM|RT|SC)\d{0,3}", upper):
            return tuple(r for r in self.rules if r.code.startswith(upper))
        return ()

    def is_known(self, selector: str) -> bool:
        text = selector.strip()
        # ShellCheck's codes are not rules; `SC2086`, a prefix (`SC2`, `SC`) or `shellcheck` selects them.
        shellcheck = text.lower() == "shellcheck" or bool(re.fullmatch(r"SC\d{0,4}", text.upper()))
        return bool(self.resolve(text)) or text.lower() == "all" or shellcheck

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)


@cache
def registry() -> Registry:
    """Import every rule family (once per process) and build the indexes."""
    from docklint.rules import FAMILIES

    rules: list[Rule] = []
    for module_name in FAMILIES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            rule = getattr(value, "__dlint_rule__", None)
            if isinstance(rule, Rule) and rule.module == module_name:
                rules.append(rule)
    rules.sort(key=lambda r: r.code)
    by_code: dict[str, Rule] = {}
    by_name: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.code in by_code:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        by_code[rule.code] = rule
        for name in (rule.name, *rule.aliases, *rule.buildkit, *(_kebab(b) for b in rule.buildkit)):
            by_name.setdefault(name.lower(), []).append(rule)
    return Registry(tuple(rules), by_code, {k: tuple(v) for k, v in by_name.items()})


def _kebab(name: str) -> str:
    """BuildKit's CamelCase check names in kebab-case (`JSONArgsRecommended` -> `json-args-recommended`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()
