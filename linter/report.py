"""What a run produced, handed to a format's `render(report, out)`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

from docklint.config import DEFAULT, Config
from docklint.engine import LintResult
from docklint.rule import Finding


@dataclass
class Report:
    """Results per input in output order (sorted by path), plus what `--fix` did."""

    results: list[LintResult] = field(default_factory=list)
    config: Config = DEFAULT
    fixed: dict[str, Counter[str]] = field(default_factory=dict)  # path -> fixed count by code
    statistics: bool = False
    color: bool = False

    @property
    def findings(self) -> Iterator[Finding]:
        for result in self.results:
            yield from result.findings

    @property
    def errors(self) -> list[LintResult]:
        """Inputs that could not be read (each has `error` set)."""
        return [r for r in self.results if r.error is not None]

    def counts(self) -> Counter[str]:
        return Counter(f.code for f in self.findings)

    @property
    def failed(self) -> bool:
        """Whether anything reaches the failure threshold (exit status 1)."""
        return any(self.config.fails(f.severity) for f in self.findings)
