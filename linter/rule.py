"""Rules, findings and fixes: the value objects every part of dlint shares."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from docklint.model.source import Pos, Range

if TYPE_CHECKING:
    from docklint.config import Config

__all__ = [
    "Pos",
    "Range",
    "Severity",
    "Safety",
    "TextEdit",
    "Fix",
    "Finding",
    "LayerRef",
    "Option",
    "Rule",
    "Context",
    "rule",
]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    STYLE = "style"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.ERROR: 4, Severity.WARNING: 3, Severity.INFO: 2, Severity.STYLE: 1}


class Safety(enum.StrEnum):
    SAFE = "safe"  # the build means the same after the edit
    UNSAFE = "unsafe"  # the edit may change what gets built


@dataclass(frozen=True, slots=True, order=True)
class TextEdit:
    """Replace `range` with `new_text`: an empty range inserts, empty text deletes."""

    range: Range
    new_text: str

    @staticmethod
    def insert(pos: Pos, text: str) -> TextEdit:
        return TextEdit(Range(pos, pos), text)

    @staticmethod
    def replace(rng: Range, text: str) -> TextEdit:
        return TextEdit(rng, text)

    @staticmethod
    def delete(rng: Range) -> TextEdit:
        return TextEdit(rng, "")


@dataclass(frozen=True, slots=True)
class Fix:
    """Non-overlapping edits, sorted by start, applied all together or not at all."""

    title: str
    edits: tuple[TextEdit, ...]
    safety: Safety = Safety.SAFE

    @staticmethod
    def safe(title: str, *edits: TextEdit) -> Fix:
        return Fix(title, tuple(sorted(edits)), Safety.SAFE)

    @staticmethod
    def unsafe(title: str, *edits: TextEdit) -> Fix:
        return Fix(title, tuple(sorted(edits)), Safety.UNSAFE)

    @property
    def range(self) -> Range:
        return Range(self.edits[0].range.start, max(e.range.end for e in self.edits))


@dataclass(frozen=True, slots=True)
class LayerRef:
    """Which layer of an image a finding is about."""

    index: int
    digest: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place. Positions are 0-based; formats convert at the edge."""

    code: str
    name: str
    severity: Severity
    message: str
    range: Range
    path: str = ""
    fix: Fix | None = None
    image_path: str | None = None
    layer: LayerRef | None = None
    history_index: int | None = None
    dockerfile_range: Range | None = None  # image findings mapped back with --dockerfile
    dockerfile_path: str | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.range.start.line, self.range.start.col, self.code, self.message)

    def with_(self, **changes: Any) -> Finding:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Option:
    """A rule option, declared on the rule, validated generically and shown in the docs."""

    name: str
    type: type
    default: Any
    help: str


Check = Callable[[Any, "Context"], Iterable[Finding]]
# A per-instruction rule's check (`each=`): `check(df, inst, ctx)`, findings about one instruction.
InstructionCheck = Callable[[Any, Any, "Context"], Iterable[Finding]]

# "engine": codes the engine reports itself (DF000); registered so docs and formats know them.
KINDS = ("dockerfile", "image", "compose", "daemon", "engine")


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule is data plus one check function; every doc surface is rendered from these fields."""

    code: str
    name: str
    severity: Severity
    summary: str
    message: str
    rationale: str
    bad: str
    good: str
    check: Check
    kind: str = "dockerfile"
    enabled: bool = True  # False: opt-in, runs only when selected by code or name
    options: tuple[Option, ...] = ()
    fix_safety: str | None = None  # set when the rule offers a fix: why the fix is safe or not
    aliases: tuple[str, ...] = ()  # old names and other tools' names (BuildKit check names)
    buildkit: tuple[str, ...] = ()  # BuildKit check names this rule answers to
    history: bool = False  # scope H: also replayed on image history `created_by`
    tags: tuple[str, ...] = ()  # headline concerns: root, base, secret, port, bloat
    # When the rule can fire at all (Dockerfile rules): one of these instructions is in the file
    # (ONBUILD's included), and one of these strings occurs in its text. Empty: no condition.
    # The engine skips a rule whose condition fails without importing its module (start-up);
    # tests/rules/test_gates.py checks every case that fires meets the condition.
    needs_instructions: tuple[str, ...] = ()
    needs_text: tuple[str, ...] = ()
    module: str = ""
    # Per-instruction rules: `check(df, inst, ctx)` is called on each instruction with one of
    # these keywords, or on every one with `("*",)` (and on ONBUILD bodies with `onbuild`). Its findings on `inst` may depend
    # only on the file up to the end of `inst` (instructions, comments, directives), the path and
    # the config: never on later instructions or comments, or on the build context. The engine keeps them per
    # instruction and reuses them while the file up to that instruction is unchanged
    # (`incremental.py`); tests/test_incremental.py checks the contract on the whole corpus.
    each: tuple[str, ...] = ()
    onbuild: bool = False
    # Facts about the rest of the file a per-instruction rule may also depend on: functions
    # `fact(df, inst) -> hashable` (whether the instruction's stage ships in the final image).
    # Their values join the key findings are kept under, so they are checked again when one
    # changes; the contract test compares only instructions whose facts a cut leaves alone.
    given: tuple[Callable[[Any, Any], Any], ...] = ()

    def run(self, model: Any, ctx: Context) -> Iterable[Finding]:
        """The rule's findings on a whole model (a per-instruction rule's on every instruction)."""
        if not self.each:
            return self.check(model, ctx)
        return self._run_each(model, ctx)

    def _run_each(self, model: Any, ctx: Context) -> Iterable[Finding]:
        check: InstructionCheck = self.check  # type: ignore[assignment]
        for inst in self.instructions_of(model):
            yield from check(model, inst, ctx)

    def instructions_of(self, model: Any) -> Iterable[Any]:
        """The instructions of `model` a per-instruction rule checks, in file order."""
        if self.each == ("*",):
            if self.onbuild:
                from docklint.model.dockerfile import iter_with_onbuild

                return iter_with_onbuild(model.instructions)
            return model.instructions
        if len(self.each) == 1:
            return model.with_onbuild(self.each[0]) if self.onbuild else model.of(self.each[0])
        if self.onbuild:
            from docklint.model.dockerfile import iter_with_onbuild

            return [inst for inst in iter_with_onbuild(model.instructions) if inst.keyword in self.each]
        return model.of(*self.each)

    @property
    def fixable(self) -> bool:
        return self.fix_safety is not None

    @property
    def docs_url(self) -> str:
        return f"https://dlint.dev/rules/{self.code}"

    def option(self, name: str) -> Option:
        for opt in self.options:
            if opt.name == name:
                return opt
        raise KeyError(name)


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    message: str,
    rationale: str,
    bad: str,
    good: str,
    kind: str = "dockerfile",
    enabled: bool = True,
    options: tuple[Option, ...] = (),
    fix_safety: str | None = None,
    aliases: tuple[str, ...] = (),
    buildkit: tuple[str, ...] = (),
    history: bool = False,
    tags: tuple[str, ...] = (),
    needs_instructions: tuple[str, ...] = (),
    needs_text: tuple[str, ...] = (),
    each: tuple[str, ...] = (),
    onbuild: bool = False,
    given: tuple[Callable[[Any, Any], Any], ...] = (),
) -> Callable[[Any], Any]:
    """Declare a rule: the decorated check gets a `__dlint_rule__` the registry collects.

    With `each`, the check is `check(df, inst, ctx)` for one instruction (see `Rule.each`), and
    the rule can only fire when the file holds one of those instructions."""
    if kind not in KINDS:
        raise ValueError(f"unknown rule kind {kind!r}")
    if (onbuild or given) and not each:
        raise ValueError("onbuild= and given= apply to per-instruction rules (each=)")
    if "*" in each and each != ("*",):
        raise ValueError('each=("*",) (every instruction) takes no other keywords')
    if each and each != ("*",) and not needs_instructions:
        needs_instructions = each  # ONBUILD bodies count: the gate reads them too

    def decorate(check: Any) -> Any:
        check.__dlint_rule__ = Rule(  # type: ignore[attr-defined]
            code=code,
            name=name,
            severity=severity,
            summary=summary,
            message=message,
            rationale=rationale,
            bad=bad,
            good=good,
            check=check,
            kind=kind,
            enabled=enabled,
            options=options,
            fix_safety=fix_safety,
            aliases=aliases,
            buildkit=buildkit,
            history=history,
            tags=tags,
            needs_instructions=needs_instructions,
            needs_text=needs_text,
            module=check.__module__,
            each=each,
            onbuild=onbuild,
            given=given,
        )
        return check

    return decorate


@dataclass(slots=True)
class Context:
    """What a check may know beyond the model: its rule, effective severity, config, options."""

    rule: Rule
    severity: Severity
    config: Config
    path: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        if name in self.options:
            return self.options[name]
        return self.rule.option(name).default

    def finding(
        self,
        rng: Range,
        *,
        fix: Fix | None = None,
        image_path: str | None = None,
        layer: LayerRef | None = None,
        history_index: int | None = None,
        message: str | None = None,
        **fields: Any,
    ) -> Finding:
        """A finding of this rule: code, name, severity and message come from the rule.

        `fields` fill the message template's placeholders; `message` replaces the template
        outright (rare: for rules whose wording depends on what was found).
        """
        template = message if message is not None else self.rule.message
        text = template.format(**fields) if fields else template
        return Finding(
            code=self.rule.code,
            name=self.rule.name,
            severity=self.severity,
            message=text,
            range=rng,
            path=self.path,
            fix=fix,
            image_path=image_path,
            layer=layer,
            history_index=history_index,
        )
