"""The Dockerfile model: instructions with exact ranges, heredocs, stages and build variables.

dockerfile-parse gives instruction names and line numbers, but no columns, no flags and no
heredocs (it reads the lines of a `RUN <<EOF` body as instructions of their own), and every rule
here needs columns. So the model scans the lines itself, following BuildKit's parser
(https://github.com/moby/buildkit/tree/master/frontend/dockerfile/parser): parser directives
only at the top, the escape character from `# escape=`, comment and empty lines dropped inside
continuations, heredocs on RUN/COPY/ADD. The test suite checks it against dockerfile-parse on the
corpus (same instructions on the same lines wherever heredocs are not involved).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Iterator

from docklint.model.nodes import (
    Blank,
    Comment,
    Directive,
    Flag,
    Heredoc,
    ImageRef,
    Instruction,
    KeyValue,
    Node,
    Stage,
    SyntaxProblem,
    Word,
)
from docklint.model.memo import Memo, register_lru
from docklint.model.relocate import move_instruction, move_problem
from docklint.model.source import MappedText, Pos, Range, Source
from docklint.model.variables import expand

if TYPE_CHECKING:
    from docklint.model.shell import Command, Script

KEYWORDS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN "
    "SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
JSON_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
# Flags BuildKit's dockerfile frontend accepts per instruction (Dockerfile reference, 1.x labs
# flags included so valid files are not reported).
KNOWN_FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", "parents", "unpack"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
NEEDS_ARGUMENTS = KEYWORDS - {"CMD", "ENTRYPOINT", "ONBUILD"}
# Variables BuildKit defines for every build; their values are only known at build time.
AUTOMATIC_ARGS = frozenset(
    "TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDOS BUILDARCH "
    "BUILDVARIANT TARGETSTAGE BUILDKIT_SYNTAX BUILDKIT_INLINE_CACHE BUILDKIT_CONTEXT_KEEP_GIT_DIR "
    "BUILDKIT_MULTI_PLATFORM BUILDKIT_SANDBOX_HOSTNAME SOURCE_DATE_EPOCH HTTP_PROXY HTTPS_PROXY "
    "FTP_PROXY NO_PROXY ALL_PROXY http_proxy https_proxy ftp_proxy no_proxy all_proxy".split()
)
DIRECTIVES = frozenset({"syntax", "escape", "check"})

_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_KEYWORD = re.compile(r"[ \t]*(\S+)")
_HEREDOC_NAME = re.compile(r"<<(-?)([\"']?)([A-Za-z0-9_][A-Za-z0-9_.\-]*)\2")
_STAGE_AS = re.compile(r"^(.*?)[ \t]+([Aa][Ss])[ \t]+(\S+)[ \t]*$")


@dataclass
class Dockerfile:
    """A parsed Dockerfile. Built once per input and shared, read-only, by every rule."""

    path: str
    source: Source
    escape: str
    directives: dict[str, Directive]
    nodes: list[Node]
    instructions: list[Instruction]
    comments: list[Comment]
    stages: list[Stage]
    global_args: list[Instruction]
    problems: list[SyntaxProblem]
    context_dir: str | None = None
    image_platform: str | None = None  # the built image's `os/arch[/variant]`, when image mode knows it
    _cache: dict[object, object] = field(default_factory=dict, repr=False)

    def of(self, *keywords: str) -> Iterator[Instruction]:
        """Instructions with one of these keywords, in file order (ONBUILD bodies excluded)."""
        if len(keywords) == 1:
            return iter(self._by_keyword()[0].get(keywords[0], ()))
        return (i for i in self.instructions if i.keyword in keywords)

    def with_onbuild(self, keyword: str) -> list[Instruction]:
        """Instructions with this keyword, ONBUILD bodies included, in file order."""
        return self._by_keyword()[1].get(keyword, [])

    def _by_keyword(self) -> tuple[dict[str, list[Instruction]], dict[str, list[Instruction]]]:
        """Instructions by keyword without and with ONBUILD bodies (built once: rules ask often)."""
        index = self._cache.get(("by_keyword",))
        if index is None:
            plain: dict[str, list[Instruction]] = {}
            every: dict[str, list[Instruction]] = {}
            for inst in self.instructions:
                plain.setdefault(inst.keyword, []).append(inst)
            for inst in iter_with_onbuild(self.instructions):
                every.setdefault(inst.keyword, []).append(inst)
            index = self._cache[("by_keyword",)] = (plain, every)
        return index  # type: ignore[return-value]

    def stage_of(self, inst: Instruction) -> Stage | None:
        return self.stages[inst.stage_index] if 0 <= inst.stage_index < len(self.stages) else None

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def lineage(self, stage: Stage | None = None) -> list[Stage]:
        """`stage` (default: the final stage), then each stage it builds on through
        `FROM <stage>`, nearest first; the last one names an image (or scratch)."""
        chain: list[Stage] = []
        seen: set[int] = set()  # by index: comparing stages would compare their instructions
        current = stage if stage is not None else self.final_stage
        while current is not None and current.index not in seen:
            seen.add(current.index)
            chain.append(current)
            current = self.stages[current.base_stage] if current.base_stage is not None else None
        return chain

    def stage_named(self, name: str) -> Stage | None:
        """The stage a `--from=`/`FROM` value refers to: a name (case-insensitive) or an index."""
        named = self._cache.get(("stages_by_name",))
        if named is None:
            named = {}
            for stage in self.stages:
                if stage.name is not None:
                    named.setdefault(stage.name.lower(), stage)
            self._cache[("stages_by_name",)] = named
        found = named.get(name.lower())  # type: ignore[union-attr]
        if found is not None:
            return found  # type: ignore[no-any-return]
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None

    def key_values(self, inst: Instruction) -> list[KeyValue]:
        """The `key=value` pairs of an ENV, ARG or LABEL instruction (cached)."""
        key = ("kv", id(inst))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = parse_key_values(inst)
        return cached  # type: ignore[return-value]

    def scope(self, inst: Instruction) -> dict[str, str | None]:
        """Build variables visible to `inst`: global ARGs, then the stage's ARG and ENV, in order.

        Values are expanded; None means declared without a known value. A global ARG is only
        visible in a stage after `ARG NAME` re-declares it there, as in BuildKit. The result is
        a fresh dict the caller may change.
        """
        if inst.stage_index < 0:
            return self.global_scope(before=inst)
        if inst.keyword == "FROM" and inst.parent is None:
            return self.global_scope()  # FROM sees only the ARGs declared before the first FROM
        snapshots = self._stage_scopes(inst.stage_index)
        stage = self.stages[inst.stage_index]
        position = bisect.bisect_left(stage.instructions, inst.index, key=_instruction_index)
        return dict(snapshots[position])

    def global_scope(self, before: Instruction | None = None) -> dict[str, str | None]:
        if before is None and "global-scope" in self._cache:
            return dict(self._cache["global-scope"])  # type: ignore[call-overload]
        scope: dict[str, str | None] = {}
        for arg in self.global_args:
            if before is not None and arg.index >= before.index:
                break
            for key, value in pairs(arg):
                scope[key] = expand(value, scope, self.escape)[0] if value is not None else None
        if before is None:
            self._cache["global-scope"] = dict(scope)
        return scope

    def _stage_scopes(self, stage_index: int) -> list[dict[str, str | None]]:
        """The scope before each instruction of a stage, and after its last (computed once)."""
        key = ("stage-scopes", stage_index)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        stage = self.stages[stage_index]
        globals_ = self.global_scope()
        scope: dict[str, str | None] = {}
        if stage.base_stage is not None and self.stages[stage.base_stage].instructions:
            # ENV is inherited from the stage this one builds on (ARG is not).
            scope.update(self._env_of_stage(self.stages[stage.base_stage]))
        snapshots = [dict(scope)]
        for inst in stage.instructions:
            self._apply(inst, scope, globals_)
            snapshots.append(dict(scope))
        self._cache[key] = snapshots
        return snapshots

    def _env_of_stage(self, stage: Stage) -> dict[str, str | None]:
        final = self._stage_scopes(stage.index)[-1]
        declared = self._declared_env(stage)
        return {k: v for k, v in final.items() if k in declared}

    def _declared_env(self, stage: Stage) -> frozenset[str]:
        names = {key for inst in stage.instructions if inst.keyword == "ENV" for key, _ in pairs(inst)}
        if stage.base_stage is not None:
            names |= self._declared_env(self.stages[stage.base_stage])
        return frozenset(names)

    def _apply(self, inst: Instruction, scope: dict[str, str | None], globals_: dict[str, str | None]) -> None:
        if inst.keyword == "ARG":
            for key, value in pairs(inst):
                if value is not None:
                    scope[key] = expand(value, scope, self.escape)[0]
                elif key in globals_:
                    scope[key] = globals_[key]
                else:
                    scope.setdefault(key, None)
        elif inst.keyword == "ENV":
            # All pairs of one ENV see the values from before the instruction (DL3044).
            before = dict(scope)
            for key, value in pairs(inst):
                scope[key] = expand(value or "", before, self.escape)[0]

    def expand(self, inst: Instruction, text: str) -> tuple[str, bool]:
        """Expand build variables in `text` as seen from `inst`."""
        return expand(text, self.scope(inst), self.escape)

    def scripts(self, inst: Instruction) -> list[Script]:
        """The shell scripts a RUN runs, with their commands (cached; see `model/shell.py`)."""
        key = ("scripts", id(inst))
        if key not in self._cache:
            if inst.keyword != "RUN":
                return []
            from docklint.model.shell import scripts_of

            self._cache[key] = scripts_of(self, inst)
        return self._cache[key]  # type: ignore[return-value]

    def commands(
        self,
        name: str | set[str] | frozenset[str] | tuple[str, ...] | None = None,
        subcommand: str | set[str] | frozenset[str] | tuple[str, ...] | None = None,
        stage: Stage | int | None = None,
    ) -> Iterator[Command]:
        """Simple commands of every RUN (ONBUILD's included), in file order, nested ones too.

        `name` matches the command's basename or its tool (`pip` also matches `pip3`,
        `pip3.11` and `python -m pip`); `subcommand` matches with aliases resolved (`npm i`).
        """
        from docklint.model.shell import iter_commands

        return iter_commands(self, name, subcommand, stage)


def _instruction_index(inst: Instruction) -> int:
    return inst.index


@dataclass(frozen=True, slots=True)
class _Template:
    """An instruction parsed from `chunk` (its lines, terminators included) at line `first`;
    `at_end`: the lines ran to the end of the file (an unterminated heredoc or continuation
    depends on that)."""

    chunk: str
    lines: int
    at_end: bool
    instruction: Instruction  # with the ranges of line `first`, texts on a source of `chunk`
    problems: tuple[SyntaxProblem, ...]
    first: int


# Parsed instructions by (escape character, first line): re-parsing an edited document takes
# every unchanged instruction from here, moved to its current place (see `relocate.py`). At most
# 1,024 first lines with up to 4 instructions each, of at most 8 kB each, 256k characters of
# instruction text in all (about 3 MB: filled by the corpus the table holds about 3 kB per
# instruction). A 500-line Dockerfile has 255 instructions, 20k characters.
_TEMPLATES: Memo[tuple[_Template, ...]] = Memo("instructions", 1024, budget=262_144)
_TEMPLATES_PER_LINE = 4
_TEMPLATE_CHARS = 8_192
_DETACHED = Source("")


def parse(text: str, path: str = "Dockerfile", context_dir: str | None = None) -> Dockerfile:
    """Parse Dockerfile text into the model. Never raises on bad input: problems are recorded."""
    return _Parser(text, path, context_dir).run()


class _Parser:
    def __init__(self, text: str, path: str, context_dir: str | None) -> None:
        self.source = Source(text)
        self.path = path
        self.context_dir = context_dir
        self.lines = list(self.source.lines())
        count = len(self.lines)
        # A terminator at the very end leaves an empty last "line" that holds no text.
        if count > 1 and self.lines[-1] == "" and self.source.line_start(count - 1) == len(text):
            count -= 1
        if count == 1 and text == "":
            count = 0
        self.count = count
        self.escape = "\\"
        self.directives: dict[str, Directive] = {}
        self.nodes: list[Node] = []
        self.instructions: list[Instruction] = []
        self.comments: list[Comment] = []
        self.problems: list[SyntaxProblem] = []

    # -- lines -------------------------------------------------------------------------

    def run(self) -> Dockerfile:
        line = self._directives()
        while line < self.count:
            text = self.lines[line]
            stripped = text.lstrip(" \t\ufeff")
            if not stripped.strip():
                self.nodes.append(Blank(self._line_range(line), self.source.line_span(line, line)))
                line += 1
            elif stripped.startswith("#"):
                comment = self._comment(line)
                self.nodes.append(comment)
                self.comments.append(comment)
                line += 1
            else:
                line = self._instruction(line)
        stages, global_args = _Stages(self).build()
        if not self.instructions and not self.problems:
            self.problems.append(SyntaxProblem(Range(Pos(0, 0), Pos(0, 0)), "the file holds no instructions"))
        return Dockerfile(
            path=self.path,
            source=self.source,
            escape=self.escape,
            directives=self.directives,
            nodes=self.nodes,
            instructions=self.instructions,
            comments=self.comments,
            stages=stages,
            global_args=global_args,
            problems=sorted(self.problems, key=lambda p: p.range.start),
            context_dir=self.context_dir,
        )

    def _line_range(self, line: int) -> Range:
        return Range(Pos(line, 0), self.source.line_end(line))

    def _comment(self, line: int, directive: bool = False) -> Comment:
        text = self.lines[line]
        indent = len(text) - len(text.lstrip(" \t\ufeff"))
        return Comment(
            text[indent:],
            Range(Pos(line, indent), self.source.line_end(line)),
            self.source.line_span(line, line),
            directive,
        )

    def _directives(self) -> int:
        """Read parser directives from the top; BuildKit stops at the first other line."""
        line = 0
        while line < self.count:
            match = _DIRECTIVE.match(self.lines[line].lstrip("\ufeff"))
            if not match or match.group(1).lower() not in DIRECTIVES:
                break
            name = match.group(1).lower()
            if name in self.directives:
                self.problems.append(
                    SyntaxProblem(self._line_range(line), f"only one `{name}` parser directive may be used")
                )
                break
            offset = 1 if self.lines[line].startswith("\ufeff") else 0
            value_range = Range(Pos(line, match.start(2) + offset), Pos(line, match.end(2) + offset))
            self.directives[name] = Directive(name, match.group(2), self._line_range(line), value_range)
            if name == "escape":
                if match.group(2) in ("\\", "`"):
                    self.escape = match.group(2)
                else:
                    self.problems.append(
                        SyntaxProblem(value_range, f"invalid escape character `{match.group(2)}`: use `\\` or a backtick")
                    )
            comment = self._comment(line, directive=True)
            self.nodes.append(comment)
            self.comments.append(comment)
            line += 1
        return line

    def _continues(self, text: str) -> int:
        """Index of the escape character ending `text` (trailing blanks allowed), or -1."""
        end = len(text.rstrip(" \t"))
        # BuildKit's lineContinuationRegex: an escape preceded by another escape (`C:\\dir\\`)
        # is an escaped escape, not a continuation.
        if end and text[end - 1] == self.escape and (end == 1 or text[end - 2] != self.escape):
            return end - 1
        return -1

    # -- instructions ----------------------------------------------------------------------

    def _instruction(self, first: int) -> int:
        """Parse the instruction starting on line `first`; returns the line after it."""
        reused = self._reuse(first)
        if reused is not None:
            return reused
        problems = len(self.problems)
        after = self._parse_instruction(first)
        self._remember(first, after, problems)
        return after

    def _reuse(self, first: int) -> int | None:
        """Take the instruction from `_TEMPLATES` when the same lines were parsed before."""
        key = (self.escape, self.lines[first])
        found = _TEMPLATES.get(key)
        if found is None:
            return None
        src = self.source
        text = src.text
        base = src.line_start(first)
        chosen: _Template | None = None
        for template in found:
            after = first + template.lines
            end = src.line_start(after) if after < src.line_count else len(text)
            if (
                end - base != len(template.chunk)
                or (after >= self.count) != template.at_end
                or not text.startswith(template.chunk, base)
            ):
                continue
            if chosen is None or template.first == first:
                chosen = template
            if template.first == first:
                break
        if chosen is None:
            return None
        moved = first - chosen.first
        inst = move_instruction(chosen.instruction, src, moved, base)
        inst.index = len(self.instructions)
        if inst.onbuild is not None:
            inst.onbuild.index = inst.index
        problems = [move_problem(problem, moved) for problem in chosen.problems]
        self.problems.extend(problems)
        self.instructions.append(inst)
        self.nodes.append(inst)
        if moved:  # keep it where it is now too: the next lint finds it in place (lines edited above)
            self._keep(key, chosen.chunk, chosen.lines, chosen.at_end, inst, first, base, problems, found)
        return first + chosen.lines

    def _remember(self, first: int, after: int, problems: int) -> None:
        src = self.source
        base = src.line_start(first)
        end = src.line_start(after) if after < src.line_count else len(src.text)
        if end - base > _TEMPLATE_CHARS:
            return
        key = (self.escape, self.lines[first])
        found = _TEMPLATES.get(key) or ()
        inst = self.instructions[-1]
        self._keep(key, src.text[base:end], after - first, after >= self.count, inst, first, base, self.problems[problems:], found)

    def _keep(
        self,
        key: tuple[str, str],
        chunk: str,
        lines: int,
        at_end: bool,
        inst: Instruction,
        first: int,
        base: int,
        problems: list[SyntaxProblem],
        others: tuple[_Template, ...],
    ) -> None:
        """Remember `inst` (at line `first`, offset `base`) as a template for `chunk`: its
        texts leave the file (offsets from the chunk's start, on an empty source that nothing
        reads: a template is always moved before use), its ranges stay."""
        template = _Template(chunk, lines, at_end, move_instruction(inst, _DETACHED, 0, -base), tuple(problems), first)
        kept = [t for t in others if t.first != first or t.chunk != chunk][: _TEMPLATES_PER_LINE - 1]
        _TEMPLATES.put(key, (template, *kept), sum(len(t.chunk) + 64 for t in (template, *kept)))

    def _parse_instruction(self, first: int) -> int:
        src = self.source
        text = self.lines[first]
        match = _KEYWORD.match(text)
        assert match is not None
        keyword_raw = match.group(1).lstrip("\ufeff")
        kw_start = match.start(1) + (len(match.group(1)) - len(keyword_raw))
        keyword_range = Range(Pos(first, kw_start), Pos(first, match.end(1)))
        spans: list[tuple[int, int]] = []
        inner: list[Comment] = []
        empty: list[int] = []
        line = first
        start = src.line_start(first) + match.end(1)
        last_content = first
        while True:
            body = self.lines[line]
            cut = self._continues(body)
            base = src.line_start(line)
            spans.append((start, base + (cut if cut >= 0 else len(body))))
            last_content = line
            if cut < 0:
                break
            line += 1
            while line < self.count:
                candidate = self.lines[line]
                if not candidate.strip():
                    empty.append(line)
                elif candidate.lstrip(" \t").startswith("#"):
                    inner.append(self._comment(line))
                else:
                    break
                line += 1
            if line >= self.count:
                line -= 1
                break
            start = src.line_start(line)
        last_line = line
        joined = MappedText.build(src, spans)
        keyword = keyword_raw.upper()
        index = len(self.instructions)
        inst = self._build(index, keyword, keyword_raw, keyword_range, joined, first)
        inst.inner_comments = tuple(inner)
        inst.empty_continuation_lines = tuple(empty)
        end = src.line_end(last_content)
        if keyword in HEREDOC_KEYWORDS and "<<" in joined.text:
            heredocs, last_line = self._heredocs(inst, last_line)
            inst.heredocs = tuple(heredocs)
            if heredocs:
                final = heredocs[-1]
                end = final.end_range.end if final.end_range else final.body_range.end
        inst.range = Range(keyword_range.start, end)
        inst.span = src.line_span(first, last_line)
        inst.first_line, inst.last_line = first, last_line
        self.instructions.append(inst)
        self.nodes.append(inst)
        return last_line + 1

    def _build(
        self,
        index: int,
        keyword: str,
        keyword_raw: str,
        keyword_range: Range,
        joined: MappedText,
        first: int,
        parent: Instruction | None = None,
    ) -> Instruction:
        """Split flags and arguments off the text after the keyword."""
        words = split_words(joined.text, self.escape)
        flags: list[Flag] = []
        args_start = len(joined.text)
        first_arg = len(words)
        for position, (start, end, raw, _value) in enumerate(words):
            if raw.startswith("--") and len(raw) > 2 and keyword != "ONBUILD":
                flags.append(_flag(joined, start, end, raw))
                continue
            args_start, first_arg = start, position
            break
        stripped_end = len(joined.text.rstrip(" \t"))
        args = joined.sub(args_start, max(stripped_end, args_start))
        args_range = args.range(0, len(args.text))
        # The argument words are the words after the flags, shifted to the argument text.
        arg_words = tuple(
            Word.lazy(raw, value, args, s - args_start, e - args_start) for s, e, raw, value in words[first_arg:]
        )
        inst = Instruction(
            index=index,
            keyword=keyword,
            keyword_raw=keyword_raw,
            range=Range(keyword_range.start, args_range.end),
            span=Range(keyword_range.start, args_range.end),
            keyword_range=keyword_range,
            flags=tuple(flags),
            args=args,
            args_range=args_range,
            words=arg_words,
            parent=parent,
            first_line=first,
            last_line=first,
        )
        self._check(inst)
        if keyword == "ONBUILD" and arg_words:
            inst.onbuild = self._wrapped(inst)
        return inst

    def _check(self, inst: Instruction) -> None:
        keyword = inst.keyword
        if keyword not in KEYWORDS:
            self.problems.append(
                SyntaxProblem(inst.keyword_range, f"unknown instruction `{inst.keyword_raw}`")
            )
            return
        if keyword in NEEDS_ARGUMENTS and not inst.args.text.strip() and not inst.flags:
            self.problems.append(SyntaxProblem(inst.keyword_range, f"`{keyword}` needs at least one argument"))
        allowed = KNOWN_FLAGS.get(keyword, frozenset())
        for flag in inst.flags:
            if flag.name not in allowed:
                self.problems.append(SyntaxProblem(flag.name_range, f"unknown flag `--{flag.name}` for `{keyword}`"))
        if keyword in JSON_KEYWORDS or keyword == "HEALTHCHECK":
            text = inst.args.text
            if keyword == "HEALTHCHECK":
                head, _, text = text.partition(" ")
                if head.upper() != "CMD":
                    return
            stripped = text.strip()
            if stripped.startswith("["):
                try:
                    value = json.loads(stripped)
                except ValueError:
                    inst.json_invalid = True
                else:
                    if isinstance(value, list) and all(isinstance(v, str) for v in value):
                        inst.json_args = tuple(value)
                    else:
                        inst.json_invalid = True

    def _wrapped(self, onbuild: Instruction) -> Instruction:
        args = onbuild.args
        first_word = onbuild.words[0]
        keyword_raw = first_word.raw
        rest = args.sub(len(keyword_raw), len(args.text))
        return self._build(
            onbuild.index,
            keyword_raw.upper(),
            keyword_raw,
            first_word.range,
            rest,
            first_word.range.start.line,
            parent=onbuild,
        )

    def _heredocs(self, inst: Instruction, last_line: int) -> tuple[list[Heredoc], int]:
        src = self.source
        heredocs: list[Heredoc] = []
        line = last_line + 1
        for start, end, raw, _value in split_words(inst.args.text, self.escape):
            if not raw.startswith("<<"):
                continue
            match = _HEREDOC_NAME.match(raw)
            if not match:
                continue
            strip_tabs, quote, name = match.group(1) == "-", match.group(2), match.group(3)
            marker = inst.args.range(start, start + match.end())
            body_first = line
            spans: list[tuple[int, int]] = []
            end_range: Range | None = None
            while line < self.count:
                text = self.lines[line]
                candidate = text.lstrip("\t") if strip_tabs else text
                if candidate == name:
                    end_range = self._line_range(line)
                    line += 1
                    break
                spans.append((src.line_start(line), src.offset(src.line_span(line, line).end)))
                line += 1
            if end_range is None:
                self.problems.append(SyntaxProblem(marker, f"heredoc `{name}` is never terminated"))
            body_last = line - (2 if end_range is not None else 1)
            body_start = Pos(body_first, 0) if body_first < self.count else src.line_end(self.count - 1)
            body_end = src.line_end(body_last) if body_last >= body_first else body_start
            if not spans:
                offset = src.offset(body_start)
                spans.append((offset, offset))
            body = MappedText.build(src, spans)
            heredocs.append(Heredoc(name, bool(quote), strip_tabs, marker, body, Range(body_start, body_end), end_range))
        return heredocs, max(line - 1, last_line)


def _flag(joined: MappedText, start: int, end: int, raw: str) -> Flag:
    name, eq, value = raw[2:].partition("=")
    name_end = start + 2 + len(name)
    value_range = joined.range(name_end + 1, end) if eq else None
    return Flag(
        name=name.lower(),
        value=_unquote(value) if eq else None,
        range=joined.range(start, end),
        name_range=joined.range(start, name_end),
        value_range=value_range,
    )


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


# A word: runs of plain characters, double-quoted parts (backslash escapes inside), single-quoted
# parts and backslash escapes; an unterminated quote runs to the end of the text.
_WORD = re.compile(r"""(?:[^ \t\r\n"'\\]+|"(?:[^"\\]|\\.?)*(?:"|\Z)|'[^']*(?:'|\Z)|\\.?)+""", re.DOTALL)


def split_words(text: str, escape: str = "\\") -> list[tuple[int, int, str, str]]:
    """Split on blanks, keeping quoted parts together: `(start, end, raw, value)` per word.

    `value` drops the quotes and escape characters, the way BuildKit's word lexer reads the
    arguments of ENV, LABEL, COPY and friends (no variable expansion here).
    """
    if escape != "\\":
        return _split_words_slow(text, escape)
    words: list[tuple[int, int, str, str]] = []
    for match in _WORD.finditer(text):
        raw = match.group()
        if '"' in raw or "'" in raw or "\\" in raw:
            value = _split_words_slow(raw, escape)[0][3]
        else:
            value = raw
        words.append((match.start(), match.end(), raw, value))
    return words


def _split_words_slow(text: str, escape: str) -> list[tuple[int, int, str, str]]:
    """The character-by-character reading `split_words` stands for (any escape character)."""
    words: list[tuple[int, int, str, str]] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        start = i
        value: list[str] = []
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape and quote == '"' and i + 1 < n and text[i + 1] in '"\\$`' + escape:
                    i += 1
                    value.append(text[i])
                else:
                    value.append(ch)
            elif ch in " \t\r\n":
                break
            elif ch in "\"'":
                quote = ch
            elif ch == escape and i + 1 < n:
                i += 1
                value.append(text[i])
            else:
                value.append(ch)
            i += 1
        words.append((start, i, text[start:i], "".join(value)))
    return words


def parse_key_values(inst: Instruction) -> list[KeyValue]:
    """Read `key=value` pairs (or the legacy `key value` form) of ENV, ARG and LABEL."""
    args = inst.args
    return [
        KeyValue.lazy(key, value, legacy, args, (key_start, key_end, value_start, value_end, start, end))
        for key, value, key_start, key_end, value_start, value_end, start, end, legacy in key_value_spans(
            inst.keyword, args.text
        )
    ]


def pairs(inst: Instruction) -> list[tuple[str, str | None]]:
    """`(key, value)` of each pair of an ENV, ARG or LABEL, as `parse_key_values` reads them
    (without their ranges: build-variable scopes need only these)."""
    return [(span[0], span[1]) for span in key_value_spans(inst.keyword, inst.args.text)]


# (key, value, key start, key end, value start, value end or -1 for no value range, start, end,
# legacy) with offsets into the argument text.
_KeyValueSpan = tuple[str, "str | None", int, int, int, int, int, int, bool]


def key_value_spans(keyword: str, text: str) -> tuple[_KeyValueSpan, ...]:
    """The pairs of an ENV/ARG/LABEL argument text, with offsets into it (see `parse_key_values`).

    Memoised by text (the same ARG/ENV/LABEL lines come back on every re-lint): at most 2,048
    texts of at most 2 kB are held."""
    return _key_value_memo(keyword, text) if len(text) <= 2048 else _key_value_spans(keyword, text)


def _key_value_spans(keyword: str, text: str) -> tuple[_KeyValueSpan, ...]:
    words = split_words(text)
    if not words:
        return ()
    first_start, first_end, first_raw, _ = words[0]
    if keyword != "ARG" and "=" not in first_raw:
        # Legacy form: the first word is the key, the rest of the line the value.
        value_start = words[1][0] if len(words) > 1 else first_end
        value_text = text[value_start:].strip()
        value_words = split_words(value_text)
        value = " ".join(v for _, _, _, v in value_words)
        value_end = value_start + len(value_text) if len(words) > 1 else -1
        return ((first_raw, value, first_start, first_end, value_start, value_end, first_start, len(text), True),)
    spans: list[_KeyValueSpan] = []
    for start, end, raw, value in words:
        eq = raw.find("=")
        if eq < 0:
            spans.append((raw, None, start, end, 0, -1, start, end, False))
            continue
        key = _unquote(raw[:eq])
        found = value[len(key) + 1 :] if value.startswith(key + "=") else value.partition("=")[2]
        spans.append((key, found, start, start + eq, start + eq + 1, end, start, end, False))
    return tuple(spans)


_key_value_memo = register_lru(lru_cache(maxsize=2048)(_key_value_spans))


_REFERENCE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)/)?"
    r"(?P<repo>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)


def parse_image_ref(text: str) -> ImageRef | None:
    """Parse an image reference the way the distribution reference grammar does; None if invalid."""
    # Memoised by text (at most 1,024 references of at most 512 characters): FROM lines come
    # back on every lint of an edited file. An `ImageRef` is an immutable value.
    return _image_ref_memo(text) if len(text) <= 512 else _parse_image_ref(text)


def _parse_image_ref(text: str) -> ImageRef | None:
    match = _REFERENCE.match(text)
    if not match:
        return None
    registry = match.group("registry")
    repo = match.group("repo")
    explicit = registry is not None
    if registry is not None and "." not in registry and ":" not in registry and registry != "localhost":
        # `user/repo`: the first part is a Docker Hub namespace, not a registry host.
        repo = f"{registry}/{repo}"
        registry, explicit = None, False
    if registry is None or registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
        if "/" not in repo:
            repo = f"library/{repo}"
    return ImageRef(
        text=text,
        registry=registry,
        repository=repo,
        tag=match.group("tag"),
        digest=match.group("digest"),
        explicit_registry=explicit,
    )


_image_ref_memo = register_lru(lru_cache(maxsize=1024)(_parse_image_ref))


class _Stages:
    """Groups instructions into stages and resolves each FROM."""

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser

    def build(self) -> tuple[list[Stage], list[Instruction]]:
        stages: list[Stage] = []
        global_args: list[Instruction] = []
        global_scope: dict[str, str | None] = {name: None for name in AUTOMATIC_ARGS}
        names: dict[str, int] = {}  # lower-cased stage name -> the last stage of that name
        for inst in self.parser.instructions:
            if inst.keyword == "FROM":
                stage = self._stage(inst, len(stages), names, global_scope)
                stages.append(stage)
                if stage.name is not None:
                    names[stage.name.lower()] = stage.index
            elif not stages:
                if inst.keyword == "ARG":
                    global_args.append(inst)
                    for key, raw in pairs(inst):
                        value = expand(raw, global_scope, self.parser.escape)[0] if raw is not None else None
                        global_scope[key] = value
                elif inst.keyword in KEYWORDS:
                    self.parser.problems.append(
                        SyntaxProblem(inst.keyword_range, f"`{inst.keyword}` comes before the first `FROM`; only `ARG` may")
                    )
            if stages:
                inst.stage_index = len(stages) - 1
                stages[-1].instructions.append(inst)
            if inst.onbuild is not None:
                inst.onbuild.stage_index = inst.stage_index
        return stages, global_args

    def _stage(
        self, inst: Instruction, index: int, names: dict[str, int], scope: dict[str, str | None]
    ) -> Stage:
        args = inst.args
        name: str | None = None
        name_range: Range | None = None
        image_end = len(args.text)
        match = _STAGE_AS.match(args.text)
        if match:
            name = match.group(3)
            name_range = args.range(match.start(3), match.end(3))
            image_end = match.end(1)
        elif inst.words and len(inst.words) > 1:
            image_end = len(inst.words[0].raw)
        base_text = args.text[:image_end].strip()
        base_range = args.range(0, len(base_text))
        expanded, resolved = expand(base_text, scope, self.parser.escape)
        base: ImageRef | None = None
        lowered = expanded.lower()
        base_stage = names.get(lowered)
        if base_stage is None and lowered != "scratch" and expanded:
            base = parse_image_ref(expanded)
        return Stage(
            index=index,
            from_=inst,
            name=name,
            name_range=name_range,
            base_text=base_text,
            base_range=base_range,
            base=base,
            base_stage=base_stage,
            platform=inst.flag("platform"),
            base_unresolved=not resolved,
        )


def iter_with_onbuild(instructions: Iterable[Instruction]) -> Iterator[Instruction]:
    """Every instruction, followed by the instruction its ONBUILD wraps, if any."""
    for inst in instructions:
        yield inst
        if inst.onbuild is not None:
            yield inst.onbuild


def exec_words(inst: Instruction) -> tuple[Word, ...]:
    """The exec-form (JSON) arguments as words, each with the range of its JSON string."""
    if inst.json_args is None:
        return ()
    words: list[Word] = []
    text = inst.args.text
    position = 0
    for value in inst.json_args:
        encoded = json.dumps(value, ensure_ascii=False)
        found = text.find(encoded, position)
        if found < 0:
            found = text.find('"', position)
            end = found + len(encoded) if found >= 0 else len(text)
        else:
            end = found + len(encoded)
        found = max(found, 0)
        words.append(Word(text[found:end], value, inst.args.range(found, end)))
        position = end
    return tuple(words)


def copy_paths(inst: Instruction) -> tuple[tuple[Word, ...], Word | None]:
    """Sources and destination of COPY/ADD (heredoc markers are not sources)."""
    words = exec_words(inst) if inst.json_args is not None else inst.words
    if inst.heredocs:
        words = tuple(w for w in words if not w.raw.startswith("<<"))
    if not words:
        return (), None
    if inst.heredocs and len(words) == 1:
        return (), words[0]
    return tuple(words[:-1]), words[-1]
