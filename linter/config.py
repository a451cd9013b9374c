"""The effective configuration rules see, and rule selection (`--select`/`--ignore`).

Selection in one sentence: the most specific selector that matches a rule decides (a code or
name beats a longer prefix, which beats a shorter prefix, which beats `all`; on a tie `ignore`
wins), and opt-in rules run only when a selector names them by code or name.
Loading config files into this object lives in `config_files.py`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from docklint.rule import Rule, Severity


class Selectable(Protocol):
    """What selection looks at: a `Rule`, or the registry's `RuleEntry` for a rule not yet imported."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def buildkit(self) -> tuple[str, ...]: ...

FAILURE_THRESHOLDS = ("error", "warning", "info", "style", "none")
EXACT = 1000


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty: every rule that is on by default
    extend_select: tuple[str, ...] = ()  # added to the default set (opt-in rules, config files)
    ignore: tuple[str, ...] = ()
    severity_overrides: Mapping[str, Severity | None] = field(default_factory=dict)  # None: off
    failure_threshold: str = "info"
    no_fail: bool = False
    trusted_registries: tuple[str, ...] = ()
    require_digest: bool = False
    strict: bool = False
    label_schema: Mapping[str, str] = field(default_factory=dict)
    strict_labels: bool = False
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by rule code
    shellcheck: bool = True
    exclude: tuple[str, ...] = ()
    today: _dt.date | None = None  # for date-dependent rules (end-of-life bases); None: today
    sources: tuple[str, ...] = ()  # the files this config was read from, highest precedence first

    def is_enabled(self, rule: Selectable) -> bool:
        """Whether `rule` runs under this configuration (see the module docstring)."""
        names = {rule.code.lower(), rule.name.lower(), *(a.lower() for a in rule.aliases)}
        names.update(b.lower() for b in rule.buildkit)
        overrides = self.severity_overrides
        if rule.code in overrides and overrides[rule.code] is None:
            return False
        selected = _best(self.select, rule, names) if self.select else (0 if rule.enabled else -1)
        extended = _best(self.extend_select, rule, names)
        selected = max(selected, extended)
        ignored = _best(self.ignore, rule, names)
        if not rule.enabled and selected < EXACT and rule.code not in overrides:
            return False
        return selected >= 0 and selected > ignored

    def severity_of(self, rule: Rule) -> Severity:
        override = self.severity_overrides.get(rule.code)
        return override if override is not None else rule.severity

    def options_for(self, rule: Rule) -> Mapping[str, Any]:
        return self.rule_options.get(rule.code, {})

    def fails(self, severity: Severity) -> bool:
        """Whether a finding of this severity makes the run fail (exit 1)."""
        if self.no_fail or self.failure_threshold == "none":
            return False
        return severity.rank >= Severity(self.failure_threshold).rank

    @property
    def date(self) -> _dt.date:
        return self.today or _dt.date.today()


def _best(selectors: tuple[str, ...], rule: Selectable, names: set[str]) -> int:
    """Specificity of the most specific selector matching the rule; -1 when none does."""
    best = -1
    for selector in selectors:
        text = selector.strip()
        lowered = text.lower()
        if lowered in names or _kebab_match(lowered, rule):
            return EXACT
        if lowered == "all":
            best = max(best, 0)
        elif rule.code.startswith(text.upper()) and text[:2].upper() in ("DL", "DF", "IM", "RT"):
            best = max(best, len(text))
    return best


def _kebab_match(selector: str, rule: Selectable) -> bool:
    from docklint.registry import _kebab

    return any(_kebab(b) == selector for b in rule.buildkit)


DEFAULT = Config()
