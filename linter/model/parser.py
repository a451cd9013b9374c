"""The line scanner behind `docklint.model.dockerfile.parse`: source lines to instructions.

It follows BuildKit's parser (https://github.com/moby/buildkit/tree/master/frontend/dockerfile/parser):
parser directives only at the top, the escape character from `# escape=`, comment and empty lines
dropped inside continuations, heredocs on RUN/COPY/ADD, flags and words with exact ranges, ONBUILD
with its wrapped instruction, then stages and their base images. An edited document is scanned
again cheaply: the instructions before the first change are taken from the last parse of the
path as they are, and others whose lines did not change from a table of parsed instructions,
moved to where their lines are now (`reparse.py`, `relocate.py`). Stages are `stages.py`'s.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from docklint.model.dockerfile import (
    DIRECTIVES,
    HEREDOC_KEYWORDS,
    JSON_KEYWORDS,
    KEYWORDS,
    KNOWN_FLAGS,
    NEEDS_ARGUMENTS,
    Dockerfile,
    _unquote,
    split_words,
)
from docklint.model.nodes import (
    Blank,
    Comment,
    Directive,
    Flag,
    Heredoc,
    Instruction,
    Node,
    Stage,
    SyntaxProblem,
    Word,
)
from docklint.model.relocate import move_instruction, move_problem
from docklint.model.reparse import DETACHED, LAST, TEMPLATE_CHARS, TEMPLATES, TEMPLATES_PER_LINE, LastParse, Template
from docklint.model.source import MappedText, Pos, Range, Source, common_prefix
from docklint.model.stages import StageBuilder

_DIRECTIVE = re.compile(r"^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$")
_KEYWORD = re.compile(r"[ \t]*(\S+)")
_HEREDOC_NAME = re.compile(r"<<(-?)([\"']?)([A-Za-z0-9_][A-Za-z0-9_.\-]*)\2")


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
        self.ends: list[int] = []  # per instruction: the offset after its lines
        self.problems_of: list[tuple[SyntaxProblem, ...]] = []  # per instruction
        self.scripts: dict[int, list[Any]] = {}  # the model's `scripts_by_id`
        self.nodes_after: list[int] = []
        self.comments_after: list[int] = []
        self.shared_stages: dict[int, Stage] = {}  # the last parse's stages by `id` of a FROM taken

    # -- lines -------------------------------------------------------------------------

    def run(self) -> Dockerfile:
        line = self._directives()
        last = LAST.get(self.path)
        if last is not None and last.escape == self.escape and last.instructions:
            line = self._take_shared(last, common_prefix(last.text, self.source.text), line)
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
        stages, global_args = StageBuilder(self.instructions, self.escape, self.problems, self.shared_stages).build()
        LAST.put(self.path, LastParse(
            self.source.text, self.escape, tuple(self.instructions), tuple(self.ends), tuple(self.problems_of),
            self.scripts, tuple(self.nodes), tuple(self.comments), tuple(self.nodes_after), tuple(self.comments_after),
            tuple(stages),
        ))
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
            scripts_by_id=self.scripts,
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
        problems = len(self.problems)
        after = self._reuse(first)
        if after is None:
            after = self._parse_instruction(first)
            self._remember(first, after, problems)
        src = self.source
        self.ends.append(src.line_start(after) if after < src.line_count else len(src.text))
        self.problems_of.append(tuple(self.problems[problems:]))
        self.nodes_after.append(len(self.nodes))
        self.comments_after.append(len(self.comments))
        return after

    def _take_shared(self, last: LastParse, same: int, line: int) -> int:
        """Take the last parse's instructions whose lines end before `same`, the first character
        that changed (so in both texts more follows them), as they are, with the comment and
        blank lines among them; returns the line after the last one taken (`line`: none)."""
        count = bisect.bisect_left(last.ends, same)
        if count == 0:
            return line
        # The texts agree up to there, parser directives included: take the nodes as they are.
        self.nodes = list(last.nodes[: last.nodes_after[count - 1]])
        self.comments = list(last.comments[: last.comments_after[count - 1]])
        self.instructions = list(last.instructions[:count])
        self.ends = list(last.ends[:count])
        self.problems_of = list(last.problems[:count])
        self.nodes_after = list(last.nodes_after[:count])
        self.comments_after = list(last.comments_after[:count])
        for index in range(count):
            self.problems.extend(last.problems[index])
            inst = last.instructions[index]
            for part in (inst, inst.onbuild):
                if part is not None and id(part) in last.scripts:
                    self.scripts[id(part)] = last.scripts[id(part)]
        for stage in last.stages:
            if stage.from_.index < count:
                self.shared_stages[id(stage.from_)] = stage
        return last.instructions[count - 1].last_line + 1

    def _reuse(self, first: int) -> int | None:
        """Take the instruction from `TEMPLATES` when the same lines were parsed before."""
        key = (self.escape, self.lines[first])
        found = TEMPLATES.get(key)
        if found is None:
            return None
        src = self.source
        text = src.text
        base = src.line_start(first)
        chosen: Template | None = None
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
        if end - base > TEMPLATE_CHARS:
            return
        key = (self.escape, self.lines[first])
        found = TEMPLATES.get(key) or ()
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
        others: tuple[Template, ...],
    ) -> None:
        """Remember `inst` (at line `first`, offset `base`) as a template for `chunk`: its
        texts leave the file (offsets from the chunk's start, on an empty source that nothing
        reads: a template is always moved before use), its ranges stay."""
        template = Template(chunk, lines, at_end, move_instruction(inst, DETACHED, 0, -base), tuple(problems), first)
        kept = [t for t in others if t.first != first or t.chunk != chunk][: TEMPLATES_PER_LINE - 1]
        TEMPLATES.put(key, (template, *kept), sum(len(t.chunk) + 64 for t in (template, *kept)))

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
